import { beforeAll, describe, expect, it } from 'vitest'
import { codeOf as codeOfPromise } from '../../errors.test-util.js'
import { fingerprint } from '../../pki/inspect.js'
import type { IdentityFile } from '../identity-file.js'
import { checkPeerGrant, type GrantRequirement } from './checks.js'
import { createTestNetwork, NETWORK, SERVICE, type TestNetwork } from './e2e.test-util.js'
import { grantKeyOf } from './tls.js'

/** checkPeerGrant remembers verified grants: a remembered one must be held to every check. */
describe('checkPeerGrant with a grant it has seen', () => {
  let net: TestNetwork
  let dialer: IdentityFile
  let require: (over?: Partial<GrantRequirement>) => GrantRequirement

  beforeAll(async () => {
    net = await createTestNetwork()
    dialer = await net.identity('dialer')
    require = (over = {}) => ({
      grantKey: grantKeyOf(dialer),
      network: NETWORK,
      action: 'dial',
      serviceName: SERVICE.name,
      serviceId: SERVICE.id,
      peer: { identityId: dialer.id, fingerprint: fingerprint(dialer.certificate) },
      now: Date.now(),
      ...over,
    })
  })

  it('refuses it once it has expired, to the second', async () => {
    const issuedAt = Date.now()
    const token = await net.grant(dialer, 'dial', SERVICE, { now: issuedAt, ttlSeconds: 60 })
    const exp = Math.floor(issuedAt / 1000) + 60
    for (let i = 0; i < 3; i++) {
      expect((await checkPeerGrant(token, require({ now: issuedAt }))).sub).toBe('dialer')
    }
    expect((await checkPeerGrant(token, require({ now: exp * 1000 - 1 }))).sub).toBe('dialer')
    const late = checkPeerGrant(token, require({ now: exp * 1000 }))
    expect(await codeOfPromise(late)).toBe('ZH_E2E_PEER_GRANT_INVALID')
    await expect(late).rejects.toMatchObject({ cause: { code: 'ZH_GRANT_EXPIRED' } })
  })

  it('still checks identity, certificate, action, service and network on every use', async () => {
    const token = await net.grant(dialer, 'dial')
    await checkPeerGrant(token, require())
    const refused = {
      'another identity': require({ peer: { identityId: 'mallory', fingerprint: 'ab' } }),
      'another certificate': require({ peer: { identityId: dialer.id, fingerprint: 'ab' } }),
      'another action': require({ action: 'bind' }),
      'another network': require({ network: 'other' }),
    }
    for (const [what, req] of Object.entries(refused)) {
      const code = await codeOfPromise(checkPeerGrant(token, req))
      expect(code, what).toBe('ZH_E2E_PEER_GRANT_INVALID')
    }
    const wrong = checkPeerGrant(token, require({ serviceName: 'billing-webhook' }))
    expect(await codeOfPromise(wrong)).toBe('ZH_E2E_WRONG_SERVICE')
  })

  it('does not take a grant verified under one key for another key', async () => {
    const token = await net.grant(dialer, 'dial')
    await checkPeerGrant(token, require())
    const other = await createTestNetwork()
    const stranger = await other.identity('dialer')
    const code = await codeOfPromise(
      checkPeerGrant(token, require({ grantKey: grantKeyOf(stranger) })),
    )
    expect(code).toBe('ZH_E2E_PEER_GRANT_INVALID')
  })
})
