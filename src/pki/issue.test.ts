import { X509Certificate, createPublicKey, generateKeyPairSync } from 'node:crypto'
import { execFileSync } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { createCa, type CertifiedKey } from './ca.js'
import { issueCertificate, issueKeyAndCertificate } from './issue.js'
import { generateKeyPair, keyIdentifier } from './keys.js'
import { peculiar, tempDir } from './pki.test-util.js'
import { principalUri } from './uri.js'
import { x509 } from './x509.js'

const uri = principalUri('acme', 'identity', 'x1')
const hasOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()

describe.each(['p256', 'ed25519'] as const)('issueCertificate with a %s CA', (caType) => {
  let ca: CertifiedKey
  beforeAll(async () => {
    ca = await createCa({ network: 'acme', keyType: caType })
  })

  it('issues a leaf with the URI SAN, both EKUs, and the right constraints', async () => {
    const { publicKeyPem } = await generateKeyPair()
    const now = new Date('2031-05-01T12:00:00Z')
    const issued = await issueCertificate({
      ca,
      publicKeyPem,
      commonName: 'x1',
      uri,
      dnsNames: ['localhost', 'r1.example.com'],
      ipAddresses: ['127.0.0.1', '::1'],
      days: 7,
      now,
    })
    const cert = new X509Certificate(issued.certPem)
    const caCert = new X509Certificate(ca.certPem)
    expect(cert.subject).toBe('CN=x1')
    expect(cert.issuer).toBe(caCert.subject)
    expect(cert.subjectAltName).toBe(
      `URI:${uri}, DNS:localhost, DNS:r1.example.com, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1`,
    )
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.1'])
    expect(cert.ca).toBe(false)
    expect(cert.checkIssued(caCert)).toBe(true)
    expect(cert.verify(caCert.publicKey)).toBe(true)
    expect(cert.publicKey.equals(createPublicKey(publicKeyPem))).toBe(true)
    expect(issued.serial).toBe(cert.serialNumber.toLowerCase())
    expect(issued.fingerprint).toBe(cert.fingerprint256.replaceAll(':', '').toLowerCase())
    expect(issued.notBefore.getTime()).toBe(now.getTime() - 60_000)
    expect(issued.notAfter.getTime()).toBe(now.getTime() + 7 * 86_400_000)
    expect(Date.parse(cert.validFrom)).toBe(issued.notBefore.getTime())
    expect(Date.parse(cert.validTo)).toBe(issued.notAfter.getTime())

    const p = peculiar(issued.certPem)
    const bc = p.getExtension(x509.BasicConstraintsExtension)!
    expect([bc.ca, bc.critical]).toEqual([false, true])
    const ku = p.getExtension(x509.KeyUsagesExtension)!
    expect([ku.usages, ku.critical]).toEqual([x509.KeyUsageFlags.digitalSignature, true])
    const caSki = peculiar(ca.certPem).getExtension(x509.SubjectKeyIdentifierExtension)!.keyId
    expect(p.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(caSki)
    expect(p.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toBe(
      keyIdentifier(cert.publicKey),
    )
    expect(p.signatureAlgorithm).toMatchObject(
      caType === 'p256' ? { name: 'ECDSA', hash: { name: 'SHA-256' } } : { name: 'Ed25519' },
    )
  })

  it.skipIf(!hasOpenssl)(
    'passes `openssl verify -x509_strict` for TLS client and server',
    async () => {
      const { dir, cleanup } = await tempDir()
      try {
        const leaf = await issueKeyAndCertificate({ ca, commonName: 'x1', uri, keyType: 'ed25519' })
        await writeFile(join(dir, 'ca.pem'), ca.certPem)
        await writeFile(join(dir, 'leaf.pem'), leaf.certPem)
        for (const purpose of ['sslclient', 'sslserver']) {
          const out = execFileSync('openssl', [
            'verify',
            '-x509_strict',
            '-purpose',
            purpose,
            '-CAfile',
            join(dir, 'ca.pem'),
            join(dir, 'leaf.pem'),
          ]).toString()
          expect(out).toContain(': OK')
        }
      } finally {
        await cleanup()
      }
    },
  )

  it('draws a random 128-bit serial for every certificate', async () => {
    const { publicKeyPem } = await generateKeyPair()
    const serials = new Set<string>()
    for (let i = 0; i < 20; i++) {
      const { serial } = await issueCertificate({ ca, publicKeyPem, commonName: 'x1', uri })
      expect(serial).toMatch(/^[0-7][0-9a-f]{31}$/)
      serials.add(serial)
    }
    expect(serials.size).toBe(20)
  })

  it('never outlives the CA', async () => {
    const shortCa = await createCa({ network: 'acme', keyType: caType, days: 2 })
    const issued = await issueKeyAndCertificate({ ca: shortCa, commonName: 'x1', uri, days: 30 })
    expect(issued.notAfter.getTime()).toBe(Date.parse(new X509Certificate(shortCa.certPem).validTo))
  })
})

describe('issueKeyAndCertificate', () => {
  it('returns the key that matches the certificate, 30 days by default', async () => {
    const ca = await createCa({ network: 'acme' })
    const now = new Date()
    const issued = await issueKeyAndCertificate({
      ca,
      commonName: 'x1',
      uri,
      keyType: 'ed25519',
      now,
    })
    const cert = new X509Certificate(issued.certPem)
    expect(cert.publicKey.equals(createPublicKey(issued.keyPem))).toBe(true)
    expect(cert.publicKey.asymmetricKeyType).toBe('ed25519')
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(30 * 86_400_000 + 60_000)
  })
})

describe('issueCertificate refusals', () => {
  let ca: CertifiedKey
  let publicKeyPem: string
  beforeAll(async () => {
    ca = await createCa({ network: 'acme' })
    publicKeyPem = (await generateKeyPair()).publicKeyPem
  })

  it('an RSA or P-384 subject key: ZH_CSR_KEY_UNSUPPORTED', async () => {
    for (const keys of [
      generateKeyPairSync('rsa', { modulusLength: 2048 }),
      generateKeyPairSync('ec', { namedCurve: 'P-384' }),
    ]) {
      const pem = keys.publicKey.export({ type: 'spki', format: 'pem' }) as string
      await expect(
        issueCertificate({ ca, publicKeyPem: pem, commonName: 'x1', uri }),
      ).rejects.toMatchObject({ code: 'ZH_CSR_KEY_UNSUPPORTED' })
    }
  })

  it.each([
    ['a non-principal URI', { uri: 'https://example.com' }],
    ['a bad DNS name', { dnsNames: ['bad name'] }],
    ['a wildcard DNS name', { dnsNames: ['*.example.com'] }],
    ['a bad IP address', { ipAddresses: ['300.1.1.1'] }],
    ['zero days', { days: 0 }],
  ])('%s: ZH_CONFIG_INVALID', async (_what, extra) => {
    await expect(
      issueCertificate({ ca, publicKeyPem, commonName: 'x1', uri, ...extra }),
    ).rejects.toMatchObject({ code: 'ZH_CONFIG_INVALID' })
  })

  it('a CA key that does not match the CA certificate: ZH_CERT_INVALID', async () => {
    const other = await createCa({ network: 'acme' })
    await expect(
      issueCertificate({
        ca: { certPem: ca.certPem, keyPem: other.keyPem },
        publicKeyPem,
        commonName: 'x1',
        uri,
      }),
    ).rejects.toMatchObject({ code: 'ZH_CERT_INVALID' })
  })

  it('an expired CA: ZH_CERT_INVALID', async () => {
    const old = await createCa({
      network: 'acme',
      days: 1,
      now: new Date(Date.now() - 3 * 86_400_000),
    })
    await expect(
      issueCertificate({ ca: old, publicKeyPem, commonName: 'x1', uri }),
    ).rejects.toMatchObject({ code: 'ZH_CERT_INVALID' })
  })

  it('a leaf used as a CA: ZH_CERT_INVALID', async () => {
    const leaf = await issueKeyAndCertificate({ ca, commonName: 'x1', uri })
    await expect(
      issueCertificate({
        ca: { certPem: leaf.certPem, keyPem: leaf.keyPem },
        publicKeyPem,
        commonName: 'x2',
        uri,
      }),
    ).rejects.toMatchObject({ code: 'ZH_CERT_INVALID' })
  })
})
