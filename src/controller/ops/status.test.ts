import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { inspectCertificate } from '../../pki/inspect.js'
import { ControllerClient } from '../../sdk/controller-client.js'
import { enrollWithToken } from '../../sdk/enroll.js'
import { renewIdentity } from '../../sdk/renewal.js'
import { describeStores } from '../store/pg.test-util.js'
import { startTestController, type TestController } from '../controller.test-util.js'
import { createIdentity, changeIdentity } from './identities.js'
import { createRouter } from './routers.js'
import { certificateWarning, networkStatus, type NetworkStatus } from './status.js'

const DAY = 86_400_000

describe('certificateWarning', () => {
  const life = 30 * DAY
  const from = Date.parse('2030-01-01T00:00:00Z')
  const cert = (renewsItself: boolean) => ({ notBefore: from, notAfter: from + life, renewsItself })

  it('is quiet for a self-renewing certificate until it is overdue', () => {
    // Renewal is due at 20 days; a twelfth of the life (2.5 days) later it is overdue.
    expect(certificateWarning(cert(true), from + 21 * DAY)).toBeUndefined()
    expect(certificateWarning(cert(true), from + 23 * DAY)).toMatch(/not renewed/)
  })

  it('flags what a person renews within 30 days of its end', () => {
    const year = { notBefore: from, notAfter: from + 365 * DAY, renewsItself: false }
    expect(certificateWarning(year, from + 300 * DAY)).toBeUndefined()
    expect(certificateWarning(year, from + 340 * DAY)).toMatch(/expires at .* \(in 25 days\)/)
    expect(certificateWarning(cert(false), from + DAY)).toMatch(/expires at .* \(in 29 days\)/)
  })

  it('flags anything expired', () => {
    expect(certificateWarning(cert(true), from + life + 1)).toMatch(/expired/)
    expect(certificateWarning(cert(false), from + life)).toMatch(/expired/)
  })
})

describeStores('networkStatus', (store) => {
  let c: TestController

  beforeAll(async () => {
    c = await startTestController({ ...store, network: 'stat' })
  })
  afterAll(async () => {
    await c.stop()
  })

  const find = (s: NetworkStatus, kind: string, name: string) =>
    s.certificates.find((x) => x.kind === kind && x.name === name)

  it('lists the CA, the controller, routers and identities with expiry and renewals', async () => {
    const { enrollment } = await createRouter(c.ctx, { name: 'r1' })
    await enrollWithToken(enrollment.token)
    const app = await enrollWithToken(
      (await createIdentity(c.ctx, { name: 'app' })).enrollment.token,
    )
    await createIdentity(c.ctx, { name: 'never-enrolled' })
    const before = await networkStatus(c.ctx)
    expect(before.certificates.map((x) => x.kind)).toEqual(
      expect.arrayContaining(['ca', 'controller', 'router', 'admin', 'endpoint']),
    )
    expect(find(before, 'endpoint', 'never-enrolled')).toBeUndefined()
    const ca = find(before, 'ca', 'zerohook stat CA')!
    expect(Date.parse(ca.notAfter!)).toBe(inspectCertificate(c.ctx.ca.certPem).notAfter.getTime())
    expect(ca.expiresIn).toBeGreaterThan(3600 * 86_400)
    expect(find(before, 'endpoint', 'app')).toMatchObject({ renewals: 0, lastRenewal: null })
    expect(before.warnings).toEqual([])

    const renewed = await renewIdentity(app)
    const after = await networkStatus(c.ctx)
    const entry = find(after, 'endpoint', 'app')!
    expect(entry.renewals).toBe(1)
    expect(entry.lastRenewal).not.toBeNull()
    expect(Date.parse(entry.notAfter!)).toBe(
      inspectCertificate(renewed.certificate).notAfter.getTime(),
    )
  })

  it('warns about what will expire, with the clock moved on, and skips disabled identities', async () => {
    const later = Date.now() + 29 * DAY
    const s = await networkStatus(c.ctx, later)
    // Endpoints renew at 20 days: at 29 days without renewal they are overdue.
    expect(s.warnings).toEqual(
      expect.arrayContaining([expect.stringMatching(/^endpoint app: not renewed/)]),
    )
    const farther = await networkStatus(c.ctx, Date.now() + 340 * DAY)
    expect(farther.warnings).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^admin admin: expires at/),
        expect.stringMatching(/^endpoint app: expired at/),
      ]),
    )
    await changeIdentity(c.ctx, 'app', { disabled: true })
    expect(find(await networkStatus(c.ctx, later), 'endpoint', 'app')).toBeUndefined()
  })

  it('is served at GET /v1/status to admins only', async () => {
    const admin = new ControllerClient(c.admin)
    const s = await admin.call<NetworkStatus>('GET', '/v1/status')
    expect(s.network).toBe('stat')
    expect(s.certificates[0]!.kind).toBe('ca')
    const app = await enrollWithToken(
      (await createIdentity(c.ctx, { name: 'not-admin' })).enrollment.token,
    )
    await expect(new ControllerClient(app).call('GET', '/v1/status')).rejects.toMatchObject({
      code: 'ZH_AUTH_ADMIN_REQUIRED',
    })
  })
})
