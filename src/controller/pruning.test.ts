import { afterAll, beforeAll, expect, it } from 'vitest'
import { enrollWithToken } from '../sdk/enroll.js'
import { describeStores } from './store/pg.test-util.js'
import { startTestController, type TestController } from './controller.test-util.js'
import { recordCertificate } from './model/certificates.js'
import { createIdentity, removeIdentity } from './ops/identities.js'
import { pruneRecords } from './pruning.js'

const DAY = 86_400_000

describeStores('record pruning', (store) => {
  let c: TestController

  beforeAll(async () => {
    c = await startTestController({
      ...store,
      network: 'prune',
      settings: { recordRetention: 86_400 },
    })
  })
  afterAll(async () => {
    await c.stop()
  })

  const rows = (table: string, where = '1 = 1', ...args: (string | number)[]) =>
    c.ctx.db.all<Record<string, unknown>>(`SELECT * FROM ${table} WHERE ${where}`, args)

  const oldCert = (principalId: string, serial: string, expiredDaysAgo: number, issued: number) =>
    recordCertificate(
      c.ctx.db,
      {
        serial,
        fingerprint: `fp-${serial}`,
        principalId,
        principalKind: 'identity',
        notAfter: new Date(Date.now() - expiredDaysAgo * DAY),
      },
      issued,
    )

  it('drops expired certificate records past the retention, keeping each holder’s newest', async () => {
    const { identity, enrollment } = await createIdentity(c.ctx, { name: 'app' })
    await enrollWithToken(enrollment.token)
    await oldCert(identity.id, 'old1', 10, Date.now() - 40 * DAY)
    await oldCert(identity.id, 'old2', 2, Date.now() - 32 * DAY)
    await oldCert(identity.id, 'recent', 0.5, Date.now() - 31 * DAY) // expired, within the retention
    const { identity: gone } = await createIdentity(c.ctx, { name: 'gone' })
    await oldCert(gone.id, 'gone1', 3, Date.now() - 33 * DAY)
    await removeIdentity(c.ctx, 'gone')
    const { identity: idle } = await createIdentity(c.ctx, { name: 'idle' })
    await oldCert(idle.id, 'idle1', 100, Date.now() - 130 * DAY)

    const pruned = await pruneRecords(c.ctx)
    expect(pruned.certificates).toBe(3)
    const left = async (id: string) =>
      (await rows('certificates', 'principal_id = ?', id)).map((r) => r.serial)
    expect(await left(identity.id)).toHaveLength(2) // the live one and the one still within retention
    expect(await left(identity.id)).toContain('recent')
    expect(await left(gone.id)).toEqual([])
    // The newest record of a holder that still exists stays, so status can say it expired.
    expect(await left(idle.id)).toEqual(['idle1'])
    expect((await pruneRecords(c.ctx)).certificates).toBe(0)
  })

  it('drops spent enrollment tokens past the retention, never one that could still verify', async () => {
    const insert = {
      run: (...values: (string | number | null)[]) =>
        c.ctx.db.run(
          'INSERT INTO enrollments (jti, principal_id, principal_kind, expires_at, used_at) VALUES (?, ?, ?, ?, ?)',
          values,
        ),
    }
    const now = Date.now()
    await insert.run('used-long-ago', 'x', 'identity', now - 3 * DAY, now - 3 * DAY)
    await insert.run('expired-unused', 'x', 'identity', now - 2 * DAY, null)
    await insert.run('used-today', 'x', 'identity', now - 3600_000, now - 7200_000)
    await insert.run('used-still-valid', 'x', 'identity', now + 3600_000, now - 5 * DAY)
    await insert.run('unused-valid', 'x', 'identity', now + 3600_000, null)
    expect((await pruneRecords(c.ctx)).enrollments).toBe(2)
    const jtis = (await rows('enrollments', "principal_id = 'x'")).map((r) => r.jti)
    expect(jtis.sort()).toEqual(['unused-valid', 'used-still-valid', 'used-today'])
  })
})
