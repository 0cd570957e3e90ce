import { X509Certificate } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { createCa, type CertifiedKey } from './ca.js'
import { fingerprint, inspectCertificate, splitPemBundle } from './inspect.js'
import { issueKeyAndCertificate } from './issue.js'
import { customLeaf, pemToDer } from './pki.test-util.js'
import { principalUri } from './uri.js'
import { x509 } from './x509.js'

let ca: CertifiedKey
let other: CertifiedKey
beforeAll(async () => {
  ca = await createCa({ network: 'acme' })
  other = await createCa({ network: 'acme', keyType: 'ed25519' })
})

describe('fingerprint', () => {
  it('is the lowercase SHA-256 of the DER, from PEM or DER alike', () => {
    const expected = new X509Certificate(ca.certPem).fingerprint256
      .replaceAll(':', '')
      .toLowerCase()
    expect(fingerprint(ca.certPem)).toBe(expected)
    expect(fingerprint(pemToDer(ca.certPem))).toBe(expected)
    expect(fingerprint(`\r\n${ca.certPem.replaceAll('\n', '\r\n')}`)).toBe(expected)
    expect(fingerprint(other.certPem)).not.toBe(expected)
  })

  it.each([
    ['garbage', 'hello'],
    ['a broken PEM', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'],
    ['random DER', Buffer.from('0123456789')],
  ])('refuses %s with ZH_CERT_INVALID', (_what, input) => {
    expect(() => fingerprint(input)).toThrow(expect.objectContaining({ code: 'ZH_CERT_INVALID' }))
  })

  it('refuses a bundle rather than pick one of its certificates', () => {
    expect(() => fingerprint(ca.certPem + other.certPem)).toThrow(
      expect.objectContaining({ code: 'ZH_CERT_INVALID' }),
    )
  })
})

describe('splitPemBundle', () => {
  it('returns each certificate, normalised, ignoring other text and blocks', async () => {
    const { keyPem } = await issueKeyAndCertificate({
      ca,
      commonName: 'x',
      uri: principalUri('acme', 'identity', 'x'),
    })
    const messy = `subject=CN = zerohook acme CA\r\n${ca.certPem.replaceAll('\n', '\r\n')}${keyPem}\n\n${other.certPem}trailing`
    const blocks = splitPemBundle(messy)
    expect(blocks).toEqual([ca.certPem, other.certPem])
    expect(blocks.map(fingerprint)).toEqual([fingerprint(ca.certPem), fingerprint(other.certPem)])
  })

  it('re-wraps a single-line body at 64 columns', () => {
    const oneLine = `-----BEGIN CERTIFICATE-----${pemToDer(ca.certPem).toString('base64')}-----END CERTIFICATE-----`
    expect(splitPemBundle(oneLine)).toEqual([ca.certPem])
  })

  it('is empty for text without certificates', () => {
    expect(splitPemBundle('')).toEqual([])
    expect(splitPemBundle('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----')).toEqual([])
  })
})

describe('inspectCertificate', () => {
  it('reads the principal, serial, fingerprint and validity of an issued certificate', async () => {
    const uri = principalUri('acme', 'router', 'r1')
    const now = new Date('2032-02-02T00:00:00Z')
    const issued = await issueKeyAndCertificate({ ca, commonName: 'r1', uri, days: 3, now })
    const info = inspectCertificate(issued.certPem)
    expect(info).toEqual({
      uri,
      principal: { network: 'acme', kind: 'router', id: 'r1' },
      serial: issued.serial,
      fingerprint: issued.fingerprint,
      notBefore: issued.notBefore,
      notAfter: issued.notAfter,
      subject: 'CN=r1',
      issuer: 'CN=zerohook acme CA',
    })
    expect(inspectCertificate(new X509Certificate(issued.certPem))).toEqual(info)
    expect(inspectCertificate(pemToDer(issued.certPem))).toEqual(info)
  })

  it('names no principal when the certificate has no principal URI', async () => {
    const pem = await customLeaf(ca, [
      new x509.SubjectAlternativeNameExtension([{ type: 'url', value: 'spiffe://acme/x' }]),
    ])
    const info = inspectCertificate(pem)
    expect(info.uri).toBeUndefined()
    expect(info.principal).toBeUndefined()
    expect(info.subject).toBe('CN=custom')
  })

  it('refuses garbage with ZH_CERT_INVALID', () => {
    expect(() => inspectCertificate('nope')).toThrow(
      expect.objectContaining({ code: 'ZH_CERT_INVALID' }),
    )
  })
})
