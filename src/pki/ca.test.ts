import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createCa } from './ca.js'
import { keyIdentifier } from './keys.js'
import { peculiar } from './pki.test-util.js'
import { x509 } from './x509.js'

describe('createCa', () => {
  it.each(['p256', 'ed25519'] as const)('makes a self-signed %s root CA', async (keyType) => {
    const now = new Date('2030-01-01T00:00:00Z')
    const ca = await createCa({ network: 'acme', keyType, now })
    const cert = new X509Certificate(ca.certPem)
    expect(cert.subject).toBe('CN=zerohook acme CA')
    expect(cert.issuer).toBe(cert.subject)
    expect(cert.ca).toBe(true)
    expect(cert.checkIssued(cert)).toBe(true)
    expect(cert.verify(cert.publicKey)).toBe(true)
    expect(cert.publicKey.equals(createPublicKey(createPrivateKey(ca.keyPem)))).toBe(true)
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    expect(cert.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/)
    expect(new Date(cert.validFrom).getTime()).toBe(now.getTime() - 60_000)
    expect(new Date(cert.validTo).getTime()).toBe(now.getTime() + 3650 * 86_400_000)

    const p = peculiar(ca.certPem)
    const bc = p.getExtension(x509.BasicConstraintsExtension)!
    expect([bc.ca, bc.pathLength, bc.critical]).toEqual([true, 0, true])
    const ku = p.getExtension(x509.KeyUsagesExtension)!
    expect(ku.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign)
    expect(ku.critical).toBe(true)
    expect(p.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toBe(
      keyIdentifier(cert.publicKey),
    )
    expect(p.getExtension(x509.ExtendedKeyUsageExtension)).toBeNull()
    expect(p.signatureAlgorithm).toMatchObject(
      keyType === 'p256' ? { name: 'ECDSA', hash: { name: 'SHA-256' } } : { name: 'Ed25519' },
    )
  })

  it('honours days and draws a fresh key and serial each time', async () => {
    const a = await createCa({ network: 'acme', days: 1 })
    const b = await createCa({ network: 'acme', days: 1 })
    const ca = new X509Certificate(a.certPem)
    const span = Date.parse(ca.validTo) - Date.parse(ca.validFrom)
    expect(span).toBe(86_400_000 + 60_000)
    expect(a.keyPem).not.toBe(b.keyPem)
    expect(ca.serialNumber).not.toBe(new X509Certificate(b.certPem).serialNumber)
  })

  it('refuses a network name that cannot go in a principal URI', async () => {
    await expect(createCa({ network: 'a:b' })).rejects.toMatchObject({ code: 'ZH_NAME_INVALID' })
    await expect(createCa({ network: 'acme', days: 0 })).rejects.toMatchObject({
      code: 'ZH_CONFIG_INVALID',
    })
  })
})
