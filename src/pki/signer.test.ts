import { describe, expect, it } from 'vitest'
import { createCa } from './ca.js'
import { issueKeyAndCertificate } from './issue.js'
import { keyIdentifier } from './keys.js'
import { loadIssuer } from './signer.js'
import { principalUri } from './uri.js'

describe('loadIssuer', () => {
  it('loads a CA once and reuses it', async () => {
    const ca = await createCa({ network: 'acme' })
    const a = await loadIssuer(ca)
    const b = await loadIssuer({ ...ca })
    expect(b).toBe(a)
    expect(a.key.type).toBe('p256')
    expect(a.keyId).toBe(keyIdentifier(a.key.publicKey))
    const other = await createCa({ network: 'acme', keyType: 'ed25519' })
    expect(await loadIssuer(other)).not.toBe(a)
  })

  it('does not cache a refusal', async () => {
    const ca = await createCa({ network: 'acme' })
    const leaf = await issueKeyAndCertificate({
      ca,
      commonName: 'x',
      uri: principalUri('acme', 'identity', 'x'),
    })
    const bad = { certPem: leaf.certPem, keyPem: leaf.keyPem }
    await expect(loadIssuer(bad)).rejects.toMatchObject({ code: 'ZH_CERT_INVALID' })
    await expect(loadIssuer(bad)).rejects.toMatchObject({ code: 'ZH_CERT_INVALID' })
    await expect(loadIssuer({ certPem: 'junk', keyPem: ca.keyPem })).rejects.toMatchObject({
      code: 'ZH_CERT_INVALID',
    })
  })
})
