import { X509Certificate, createPrivateKey } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createOpaqueCertificate } from './opaque.js'

describe('createOpaqueCertificate', () => {
  it('makes a self-signed P-256 certificate that names nothing', async () => {
    const { cert, key } = await createOpaqueCertificate()
    const x = new X509Certificate(cert)
    expect(x.subject).toMatch(/^CN=[0-9a-f]{16}$/)
    expect(x.issuer).toBe(x.subject)
    expect(x.subjectAltName).toBeUndefined()
    expect(x.ca).toBe(false)
    expect(x.verify(x.publicKey)).toBe(true)
    expect(x.checkPrivateKey(createPrivateKey(key))).toBe(true)
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
    const now = Date.now()
    expect(Date.parse(x.validFrom)).toBeLessThan(now)
    expect(Date.parse(x.validTo)).toBeGreaterThan(now + 300 * 86_400_000)
    // Nothing of the product in the DER either.
    expect(x.raw.toString('latin1')).not.toMatch(/zerohook|urn:/i)
  })

  it('is a different certificate, key and name every time', async () => {
    const [a, b] = await Promise.all([createOpaqueCertificate(), createOpaqueCertificate()])
    expect(a.key).not.toBe(b.key)
    expect(new X509Certificate(a.cert).subject).not.toBe(new X509Certificate(b.cert).subject)
  })
})
