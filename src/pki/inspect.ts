import { X509Certificate, createHash } from 'node:crypto'
import { ZhError } from '../errors.js'
import { principalFromAltNames } from './altnames.js'
import type { PrincipalKind } from './uri.js'

/** What zerohook reads from a certificate. */
export interface CertInfo {
  /** The principal URI SAN, when the certificate names exactly one principal. */
  uri?: string
  principal?: { network: string; kind: PrincipalKind; id: string }
  /** Serial number, lowercase hex. */
  serial: string
  /** SHA-256 of the DER, lowercase hex. */
  fingerprint: string
  notBefore: Date
  notAfter: Date
  /** Subject as Node prints it, e.g. `CN=controller`. */
  subject: string
  issuer: string
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]*)-----END CERTIFICATE-----/g

/**
 * Splits a PEM bundle into its certificates, each normalised to `BEGIN`/`END` lines around
 * 64-column base64 and a final newline. Text between blocks and non-certificate blocks are
 * ignored; nothing is parsed, so pass each block to {@link inspectCertificate} to validate it.
 *
 * @example
 * ```ts
 * splitPemBundle(caBundle).map(fingerprint)
 * ```
 */
export function splitPemBundle(pem: string): string[] {
  const blocks: string[] = []
  for (const match of pem.matchAll(PEM_CERT)) {
    const body = match[1]!.replace(/\s+/g, '')
    if (body === '') continue
    const lines = body.match(/.{1,64}/g) ?? []
    blocks.push(`-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`)
  }
  return blocks
}

/**
 * Parses one certificate: a PEM string holding exactly one certificate, a DER (or PEM) Buffer,
 * or an already parsed X509Certificate. Throws ZH_CERT_INVALID otherwise.
 */
export function toX509(cert: string | Buffer | X509Certificate): X509Certificate {
  if (cert instanceof X509Certificate) return cert
  if (typeof cert === 'string') {
    const blocks = splitPemBundle(cert)
    if (blocks.length !== 1) {
      throw new ZhError('ZH_CERT_INVALID', `expected one PEM certificate, found ${blocks.length}`)
    }
    cert = blocks[0]!
  }
  try {
    return new X509Certificate(cert)
  } catch (err) {
    throw new ZhError('ZH_CERT_INVALID', (err as Error).message, { cause: err })
  }
}

/**
 * The certificate fingerprint zerohook uses everywhere (enrollment tokens, grants, revocation):
 * lowercase hex SHA-256 of the DER, no separators. Throws ZH_CERT_INVALID for anything that is
 * not one certificate.
 *
 * @example
 * ```ts
 * fingerprint(caPem) // 'a3f1...' (64 hex digits)
 * ```
 */
export function fingerprint(certPemOrDer: string | Buffer): string {
  return createHash('sha256').update(toX509(certPemOrDer).raw).digest('hex')
}

/**
 * Reads a certificate's serial, fingerprint, validity, names and principal URI, without checking
 * who signed it (see `verifyCertificate` for that). Throws ZH_CERT_INVALID on garbage.
 *
 * @example
 * ```ts
 * const { principal, notAfter } = inspectCertificate(certPem)
 * ```
 */
export function inspectCertificate(cert: string | Buffer | X509Certificate): CertInfo {
  const x = toX509(cert)
  const named = principalFromAltNames(x.subjectAltName)
  const info: CertInfo = {
    serial: x.serialNumber.toLowerCase(),
    fingerprint: createHash('sha256').update(x.raw).digest('hex'),
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    subject: x.subject,
    issuer: x.issuer,
  }
  if (named) {
    const { uri, ...principal } = named
    info.uri = uri
    info.principal = principal
  }
  return info
}
