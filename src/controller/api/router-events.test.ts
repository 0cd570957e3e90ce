import https from 'node:https'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { checkServerPrincipal } from '../../pki/verify.js'
import { enrollWithToken } from '../../sdk/enroll.js'
import type { IdentityFile } from '../../sdk/identity-file.js'
import { startTestController, type TestController } from '../controller.test-util.js'
import { createIdentity, removeIdentity } from '../ops/identities.js'
import { createRouter } from '../ops/routers.js'
import { describeStores } from '../store/pg.test-util.js'

describeStores('router event stream replays what a reconnecting router missed', (store) => {
  let c: TestController
  let router: IdentityFile

  beforeAll(async () => {
    c = await startTestController({ ...store, network: 'events' })
    router = await enrollWithToken((await createRouter(c.ctx, { name: 'r1' })).enrollment.token)
  })
  afterAll(() => c.stop())

  /** Opens the stream (`?since=` when given) and returns its first `count` lines. */
  function lines(count: number, since?: number): Promise<Record<string, unknown>[]> {
    return new Promise((resolve, reject) => {
      const path = since === undefined ? '/v1/router/events' : `/v1/router/events?since=${since}`
      const req = https.request(new URL(path, c.url), {
        ca: router.ca,
        cert: router.certificate,
        key: router.key,
        minVersion: 'TLSv1.3',
        agent: false,
        checkServerIdentity: checkServerPrincipal({ network: 'events', kind: 'controller' }),
      })
      const got: Record<string, unknown>[] = []
      req.on('response', (res) => {
        res.on('error', () => undefined) // destroyed on purpose once enough lines came
        const reader = createInterface({ input: res })
        reader.on('error', () => undefined)
        reader.on('line', (text) => {
          const line = JSON.parse(text) as Record<string, unknown>
          if (line.type === 'routes' || line.type === 'heartbeat') return
          got.push(line)
          if (got.length === count) {
            req.destroy()
            resolve(got)
          }
        })
      })
      req.on('error', (err) => (got.length < count ? reject(err) : undefined))
      req.end()
    })
  }

  it('says its position in hello, and replays the changes after `since` in order', async () => {
    const [hello] = await lines(1)
    const start = hello!.seq as number
    expect(typeof start).toBe('number')
    for (const name of ['gone-1', 'gone-2']) {
      const { identity, enrollment } = await createIdentity(c.ctx, { name })
      await enrollWithToken(enrollment.token)
      await removeIdentity(c.ctx, identity.id)
    }
    const replayed = await lines(3, start)
    expect(replayed[0]).toMatchObject({ type: 'hello', seq: start + 2 })
    expect(replayed.slice(1).map((l) => [l.type, l.seq])).toEqual([
      ['change', start + 1],
      ['change', start + 2],
    ])
    expect((replayed[1]!.revoked as unknown[]).length).toBe(1)
    // Up to date: nothing is replayed, the hello comes alone.
    const fresh = await Promise.race([
      lines(2, start + 2),
      new Promise<'none'>((r) => setTimeout(() => r('none'), 300)),
    ])
    expect(fresh).toBe('none')
  })
})
