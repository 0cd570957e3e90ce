import { X509Certificate } from 'node:crypto'
import type { PeerCertificate } from 'node:tls'
import { beforeAll, describe, expect, it, vi } from 'vitest'
import { createCa, type CertifiedKey } from './ca.js'
import { parseAltNames } from './altnames.js'
import { createKeyAndCsr, parseCsr } from './csr.js'
import { issueCertificate, issueKeyAndCertificate } from './issue.js'
import { customLeaf, derToPem, pemToDer } from './pki.test-util.js'
import { principalUri } from './uri.js'
import { checkServerPrincipal, verifyCertificate } from './verify.js'
import { x509 } from './x509.js'

const DAY = 86_400_000
const uri = principalUri('acme', 'identity', 'x1')
const code = (c: string): unknown => expect.objectContaining({ code: c })

describe.each(['p256', 'ed25519'] as const)('verifyCertificate, %s CA', (keyType) => {
  let ca: CertifiedKey
  let stranger: CertifiedKey
  beforeAll(async () => {
    ca = await createCa({ network: 'acme', keyType })
    stranger = await createCa({ network: 'acme', keyType })
  })

  it('accepts the round trip CA -> CSR -> certificate', async () => {
    const { csrPem } = await createKeyAndCsr({ commonName: 'x1', keyType })
    const { publicKeyPem } = await parseCsr(csrPem, { commonName: 'x1' })
    const issued = await issueCertificate({ ca, publicKeyPem, commonName: 'x1', uri })
    for (const input of [
      issued.certPem,
      pemToDer(issued.certPem),
      new X509Certificate(issued.certPem),
    ]) {
      const v = verifyCertificate(input, ca.certPem, {
        network: 'acme',
        kind: 'identity',
        id: 'x1',
        eku: 'clientAuth',
      })
      expect(v.principal).toEqual({ network: 'acme', kind: 'identity', id: 'x1' })
      expect(v.uri).toBe(uri)
      expect(v.fingerprint).toBe(issued.fingerprint)
      expect(v.serial).toBe(issued.serial)
    }
    expect(verifyCertificate(issued.certPem, ca.certPem, { eku: 'serverAuth' }).uri).toBe(uri)
  })

  it('refuses a certificate of another CA with the same name', async () => {
    const issued = await issueKeyAndCertificate({ ca: stranger, commonName: 'x1', uri })
    expect(() => verifyCertificate(issued.certPem, ca.certPem)).toThrow(
      code('ZH_CERT_CHAIN_INVALID'),
    )
    // ...but accepts it against a bundle holding both CAs.
    expect(verifyCertificate(issued.certPem, ca.certPem + stranger.certPem).uri).toBe(uri)
  })

  it('refuses an expired and a not-yet-valid certificate', async () => {
    const past = new Date(Date.now() - 10 * DAY)
    const oldCa = await createCa({ network: 'acme', keyType, now: new Date(past.getTime() - DAY) })
    const expired = await issueKeyAndCertificate({
      ca: oldCa,
      commonName: 'x1',
      uri,
      days: 1,
      now: past,
    })
    expect(verifyCertificate(expired.certPem, oldCa.certPem, { now: past }).uri).toBe(uri)
    expect(() => verifyCertificate(expired.certPem, oldCa.certPem)).toThrow(
      code('ZH_CERT_CHAIN_INVALID'),
    )
    const future = await issueKeyAndCertificate({
      ca,
      commonName: 'x1',
      uri,
      now: new Date(Date.now() + DAY),
    })
    expect(() => verifyCertificate(future.certPem, ca.certPem)).toThrow(
      code('ZH_CERT_CHAIN_INVALID'),
    )
    // The CA's own window counts too: before the CA existed, its leaves are not valid.
    expect(() => verifyCertificate(expired.certPem, ca.certPem, { now: past })).toThrow(
      code('ZH_CERT_CHAIN_INVALID'),
    )
  })

  it('refuses a certificate whose signature was altered', async () => {
    const issued = await issueKeyAndCertificate({ ca, commonName: 'x1', uri })
    const der = pemToDer(issued.certPem)
    der[der.length - 2]! ^= 0x01
    expect(() => verifyCertificate(derToPem(der, 'CERTIFICATE'), ca.certPem)).toThrow(
      code('ZH_CERT_CHAIN_INVALID'),
    )
  })

  it('refuses a principal of the wrong network, kind or id', async () => {
    const issued = await issueKeyAndCertificate({ ca, commonName: 'x1', uri })
    for (const opts of [{ network: 'other' }, { kind: 'router' as const }, { id: 'x2' }]) {
      expect(() => verifyCertificate(issued.certPem, ca.certPem, opts)).toThrow(
        code('ZH_CERT_CHAIN_INVALID'),
      )
    }
  })

  it('refuses the CA certificate itself as a principal', () => {
    expect(() => verifyCertificate(ca.certPem, ca.certPem)).toThrow(code('ZH_CERT_CHAIN_INVALID'))
  })

  it('refuses a missing EKU with ZH_CERT_EKU_INVALID', async () => {
    const san = new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }])
    const clientOnly = await customLeaf(ca, [
      san,
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ])
    expect(verifyCertificate(clientOnly, ca.certPem, { eku: 'clientAuth' }).uri).toBe(uri)
    expect(() => verifyCertificate(clientOnly, ca.certPem, { eku: 'serverAuth' })).toThrow(
      code('ZH_CERT_EKU_INVALID'),
    )
    const noEku = await customLeaf(ca, [san])
    expect(() => verifyCertificate(noEku, ca.certPem, { eku: 'clientAuth' })).toThrow(
      code('ZH_CERT_EKU_INVALID'),
    )
  })

  it('refuses a certificate without exactly one principal URI', async () => {
    const none = await customLeaf(ca, [
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'a' }]),
    ])
    const two = await customLeaf(ca, [
      new x509.SubjectAlternativeNameExtension([
        { type: 'url', value: uri },
        { type: 'url', value: principalUri('acme', 'identity', 'x2') },
      ]),
    ])
    const smuggled = await customLeaf(ca, [
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: `x, URI:${uri}` }]),
    ])
    // Node quotes the value; it must decode to one URI, not two names.
    expect(parseAltNames(new X509Certificate(smuggled).subjectAltName)).toEqual([
      { type: 'URI', value: `x, URI:${uri}` },
    ])
    for (const pem of [none, two, smuggled]) {
      expect(() => verifyCertificate(pem, ca.certPem)).toThrow(code('ZH_CERT_CHAIN_INVALID'))
    }
  })
})

describe('verifyCertificate remembers signed leaves, not verdicts', () => {
  it('checks time, EKU, principal and the bundle again for a leaf it has seen', async () => {
    const ca = await createCa({ network: 'acme', keyType: 'p256' })
    const other = await createCa({ network: 'acme', keyType: 'p256' })
    const issued = await issueKeyAndCertificate({ ca, commonName: 'x1', uri })
    const ok = { network: 'acme', kind: 'identity', id: 'x1', eku: 'clientAuth' } as const
    for (let i = 0; i < 3; i++) {
      expect(verifyCertificate(issued.certPem, ca.certPem, ok).principal.id).toBe('x1')
    }
    // Seen and signed, yet every other check still runs on every call.
    const later = new Date(Date.now() + 3650 * DAY)
    expect(() => verifyCertificate(issued.certPem, ca.certPem, { ...ok, now: later })).toThrow(
      code('ZH_CERT_CHAIN_INVALID'),
    )
    expect(() => verifyCertificate(issued.certPem, ca.certPem, { ...ok, id: 'x2' })).toThrow(
      code('ZH_CERT_CHAIN_INVALID'),
    )
    // A bundle without its CA does not share what the first bundle learnt.
    expect(() => verifyCertificate(issued.certPem, other.certPem, ok)).toThrow(
      code('ZH_CERT_CHAIN_INVALID'),
    )
    // The same certificate with an altered signature is another certificate, and refused.
    const der = pemToDer(issued.certPem)
    der[der.length - 5]! ^= 0x01
    expect(() => verifyCertificate(der, ca.certPem, ok)).toThrow(code('ZH_CERT_CHAIN_INVALID'))
  })

  it('checks the signature of a seen leaf once', async () => {
    const ca = await createCa({ network: 'acme', keyType: 'p256' })
    const issued = await issueKeyAndCertificate({ ca, commonName: 'x1', uri })
    const verify = vi.spyOn(X509Certificate.prototype, 'verify')
    try {
      for (let i = 0; i < 5; i++) verifyCertificate(issued.certPem, ca.certPem)
      expect(verify).toHaveBeenCalledTimes(1)
    } finally {
      verify.mockRestore()
    }
  })
})

describe('verifyCertificate input errors', () => {
  it('ZH_CERT_INVALID for a garbage certificate or an empty CA bundle', async () => {
    const ca = await createCa({ network: 'acme' })
    const issued = await issueKeyAndCertificate({ ca, commonName: 'x1', uri })
    expect(() => verifyCertificate('junk', ca.certPem)).toThrow(code('ZH_CERT_INVALID'))
    expect(() => verifyCertificate(issued.certPem, '')).toThrow(code('ZH_CERT_INVALID'))
  })
})

describe('checkServerPrincipal', () => {
  const peer = (subjectaltname?: string) => ({ subjectaltname }) as PeerCertificate
  const check = checkServerPrincipal({ network: 'acme', kind: 'controller' })

  it('passes the expected principal whatever host was dialled', () => {
    expect(
      check('10.0.0.7', peer('DNS:localhost, URI:urn:zerohook:acme:controller:main')),
    ).toBeUndefined()
    const exact = checkServerPrincipal({ network: 'acme', kind: 'router', id: 'r1' })
    expect(exact('h', peer('URI:urn:zerohook:acme:router:r1'))).toBeUndefined()
    expect(exact('h', peer('URI:urn:zerohook:acme:router:r2'))).toEqual(
      code('ZH_SERVER_IDENTITY_INVALID'),
    )
  })

  it.each([
    ['no SAN', undefined],
    ['only DNS names', 'DNS:localhost'],
    ['another network', 'URI:urn:zerohook:evil:controller:main'],
    ['another kind', 'URI:urn:zerohook:acme:router:main'],
    ['a smuggled URI', 'URI:"x\\u002c URI:urn:zerohook:acme:controller:main"'],
    ['two principals', 'URI:urn:zerohook:acme:controller:a, URI:urn:zerohook:acme:controller:b'],
  ])('returns ZH_SERVER_IDENTITY_INVALID for %s', (_what, san) => {
    expect(check('localhost', peer(san))).toEqual(code('ZH_SERVER_IDENTITY_INVALID'))
  })
})
