import pino from 'pino'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { enrollWithToken } from '../sdk/enroll.js'
import { renewIdentity } from '../sdk/renewal.js'
import { startTestController, type TestController } from './controller.test-util.js'
import { KnockKeys } from './knock-keys.js'
import { grantsFor } from './ops/grants.js'
import { createIdentity } from './ops/identities.js'
import { describeStores } from './store/pg.test-util.js'

describeStores('knock keys', (store) => {
  let c: TestController
  const log = pino({ level: 'silent' })

  beforeAll(async () => {
    c = await startTestController({ ...store, network: 'knock' })
  })
  afterAll(async () => {
    await c.stop()
  })

  it('makes a key when the network has none, and hands it to enrolled identities, renewals and grants', async () => {
    const keys = c.ctx.knock!.keys()
    expect(keys).toHaveLength(1)
    expect(keys[0]).toMatch(/^[A-Za-z0-9_-]{43}$/)
    const identity = await enrollWithToken(
      (await createIdentity(c.ctx, { name: 'e1', attributes: [] })).enrollment.token,
    )
    expect(identity.knock).toEqual(keys)
    expect((await grantsFor(c.ctx, { id: identity.id, fingerprint: 'x' })).knock).toEqual(keys)
    const rotated = await c.ctx.knock!.rotate()
    expect((await renewIdentity(identity)).knock).toEqual(rotated)
  })

  it('keeps the current key and the previous one, and rotates once among replicas when due', async () => {
    let now = Date.now()
    const clock = () => now
    const a = new KnockKeys(c.ctx.db, { rotationS: 60, log, now: clock })
    const b = new KnockKeys(c.ctx.db, { rotationS: 60, log, now: clock })
    const pushed: string[][] = []
    b.on('rotated', (keys) => pushed.push(keys))
    await a.refresh()
    await b.refresh()
    const before = a.keys()
    expect(b.keys()).toEqual(before)
    // Not due yet: nothing changes.
    now += 30_000
    await Promise.all([a.refresh(), b.refresh()])
    expect(a.keys()).toEqual(before)
    // Due: both replicas look at once, one rotates, both end with the same two keys.
    now += 31_000
    await Promise.all([a.refresh(), b.refresh()])
    await Promise.all([a.refresh(), b.refresh()])
    expect(a.keys()).toEqual(b.keys())
    expect(a.keys()).toHaveLength(2)
    expect(a.keys()[1]).toBe(before[0])
    expect(pushed.at(-1)).toEqual(a.keys())
    // The controller's own instance picks it up too.
    await c.ctx.knock!.refresh()
    expect(c.ctx.knock!.keys()).toEqual(a.keys())
  })
})
