import { afterAll, beforeAll, expect, it } from 'vitest'
import type { ZhCode } from '../../errors.js'
import { ControllerClient } from '../../sdk/controller-client.js'
import { enrollWithToken } from '../../sdk/enroll.js'
import type { IdentityFile } from '../../sdk/identity-file.js'
import type { ChangeEvent } from '../changes.js'
import { describeStores } from '../store/pg.test-util.js'
import { startTestController, type TestController } from '../controller.test-util.js'
import type { GrantsResponse } from '../ops/grants.js'
import { codeOf } from '../../errors.test-util.js'

describeStores('management API', (store) => {
  let c: TestController
  let admin: ControllerClient
  let endpoint: IdentityFile

  beforeAll(async () => {
    c = await startTestController(store)
    admin = new ControllerClient(c.admin)
    const r = await admin.call<{ enrollment: { token: string } }>('POST', '/v1/identities', {
      name: 'app',
      attributes: ['senders'],
    })
    endpoint = await enrollWithToken(r.enrollment.token)
  })
  afterAll(() => c.stop())

  async function expectRefused(call: () => Promise<unknown>, code: ZhCode) {
    const before = await c.dump()
    expect(await codeOf(call())).toBe(code)
    expect(await c.dump()).toEqual(before)
  }

  it('refuses duplicate names, unknown names, bad names and bad role syntax', async () => {
    await admin.call('POST', '/v1/services', { name: 'hooks', attributes: ['webhooks'] })
    await expectRefused(
      () => admin.call('POST', '/v1/services', { name: 'hooks' }),
      'ZH_NAME_TAKEN',
    )
    await expectRefused(
      () => admin.call('POST', '/v1/identities', { name: 'app' }),
      'ZH_NAME_TAKEN',
    )
    await expectRefused(() => admin.call('GET', '/v1/identities/nobody'), 'ZH_IDENTITY_NOT_FOUND')
    await expectRefused(() => admin.call('DELETE', '/v1/services/nothing'), 'ZH_SERVICE_NOT_FOUND')
    await expectRefused(
      () => admin.call('DELETE', '/v1/service-policies/none'),
      'ZH_POLICY_NOT_FOUND',
    )
    await expectRefused(
      () => admin.call('POST', '/v1/services', { name: 'bad name!' }),
      'ZH_NAME_INVALID',
    )
    await expectRefused(
      () => admin.call('POST', '/v1/services', { name: 'x', attributes: ['#nope'] }),
      'ZH_ATTRIBUTE_INVALID',
    )
    for (const roles of [['senders'], ['#'], ['@'], [''], ['#a b']]) {
      await expectRefused(
        () =>
          admin.call('POST', '/v1/service-policies', {
            name: 'p',
            type: 'dial',
            identityRoles: roles,
            serviceRoles: ['#all'],
          }),
        'ZH_ROLE_INVALID',
      )
    }
    await expectRefused(
      () =>
        admin.call('POST', '/v1/service-policies', {
          name: 'p',
          type: 'fly',
          identityRoles: ['#all'],
          serviceRoles: ['#all'],
        }),
      'ZH_BAD_REQUEST',
    )
    await expectRefused(
      () => admin.call('POST', '/v1/identities', { name: 'x', extra: 1 }),
      'ZH_BAD_REQUEST',
    )
  })

  it('refuses management calls from a non-admin identity', async () => {
    const asEndpoint = new ControllerClient(endpoint)
    await expectRefused(() => asEndpoint.call('GET', '/v1/identities'), 'ZH_AUTH_ADMIN_REQUIRED')
    await expectRefused(
      () => asEndpoint.call('POST', '/v1/identities', { name: 'evil' }),
      'ZH_AUTH_ADMIN_REQUIRED',
    )
    await expectRefused(
      () => asEndpoint.call('DELETE', '/v1/identities/admin'),
      'ZH_AUTH_ADMIN_REQUIRED',
    )
  })

  it('pushes exactly the lost permissions when a policy changes, and revocations when an identity is disabled', async () => {
    await admin.call('POST', '/v1/service-policies', {
      name: 'send',
      type: 'dial',
      identityRoles: ['#senders'],
      serviceRoles: ['#webhooks'],
    })
    const asEndpoint = new ControllerClient(endpoint)
    const grants = await asEndpoint.call<GrantsResponse>('GET', '/v1/current-identity/grants')
    expect(grants.grants.map((g) => `${g.service.name}:${g.action}`)).toEqual(['hooks:dial'])
    expect(grants.routers).toEqual([])

    const events: ChangeEvent[] = []
    c.ctx.events.on('change', (e: ChangeEvent) => events.push(e))
    await admin.call('PATCH', '/v1/identities/app', { attributes: ['other'] })
    expect(events).toHaveLength(1)
    expect(events[0]!.lost).toEqual([
      { identityId: endpoint.id, serviceId: grants.grants[0]!.service.id, action: 'dial' },
    ])
    expect(events[0]!.revoked).toEqual([])

    await admin.call('PATCH', '/v1/identities/app', { disabled: true })
    expect(events).toHaveLength(2)
    expect(events[1]!.revoked.map((r) => r.principalId)).toEqual([endpoint.id])
    await expectRefused(
      () => asEndpoint.call('GET', '/v1/current-identity/grants'),
      'ZH_IDENTITY_DISABLED',
    )
    await admin.call('PATCH', '/v1/identities/app', { disabled: false })
    // Re-enabled, but its certificate stays revoked: it must enroll again.
    await expectRefused(
      () => asEndpoint.call('GET', '/v1/current-identity/grants'),
      'ZH_AUTH_CERT_REVOKED',
    )
  })

  it('renews a certificate over mTLS for a CSR of the caller only', async () => {
    const r = await admin.call<{ enrollment: { token: string } }>('POST', '/v1/identities', {
      name: 'renewer',
    })
    const id = await enrollWithToken(r.enrollment.token)
    const { createKeyAndCsr } = await import('../../pki/csr.js')
    const client = new ControllerClient(id)
    const other = await createKeyAndCsr({ commonName: 'someone-else' })
    await expectRefused(
      () => client.call('POST', '/v1/current-identity/renew', { csr: other.csrPem }),
      'ZH_CSR_SUBJECT_INVALID',
    )
    const mine = await createKeyAndCsr({ commonName: id.id })
    const renewed = await client.call<{ certificate: string }>(
      'POST',
      '/v1/current-identity/renew',
      { csr: mine.csrPem },
    )
    const next = new ControllerClient({ ...id, certificate: renewed.certificate, key: mine.keyPem })
    const grants = await next.call<GrantsResponse>('GET', '/v1/current-identity/grants')
    expect(grants.identity.name).toBe('renewer')
  })
})
