import { createHash, createPublicKey, type KeyObject } from 'node:crypto'
import { isIP } from 'node:net'
import { ZhError } from '../errors.js'
import type { CertifiedKey } from './ca.js'
import { generateKeyPair, keyIdentifier, keyTypeOf, type KeyType } from './keys.js'
import { randomSerial } from './serial.js'
import { loadIssuer } from './signer.js'
import { commonNameSubject } from './subject.js'
import { parsePrincipalUri } from './uri.js'
import { validityWindow } from './validity.js'
import { describeKey, signingAlgorithm } from './webcrypto.js'
import { x509 } from './x509.js'

/** A certificate just issued, with what the controller records about it. */
export interface IssuedCertificate {
  certPem: string
  /** Serial number, lowercase hex without separators. */
  serial: string
  /** SHA-256 of the DER, lowercase hex (as `fingerprint` computes it). */
  fingerprint: string
  notBefore: Date
  notAfter: Date
}

/** What {@link issueCertificate} needs. */
export interface IssueOptions {
  ca: CertifiedKey
  /** SPKI PEM of the subject's key: ECDSA P-256 or Ed25519. */
  publicKeyPem: string
  commonName: string
  /** The principal URI SAN, see `principalUri`. */
  uri: string
  dnsNames?: string[]
  ipAddresses?: string[]
  /** Lifetime in days, default 30. Never extends past the CA's own expiry. */
  days?: number
  now?: Date
}

// Plain host names only: a wildcard would let one certificate answer for every host of a domain.
const DNS_NAME =
  /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/**
 * Issues a leaf certificate for a principal: subject `CN=<commonName>`, basicConstraints CA:false,
 * keyUsage digitalSignature (all ECDSA and Ed25519 TLS 1.3 needs), EKU clientAuth and serverAuth
 * (an endpoint is also the TLS server of the end-to-end layer), SAN = the principal URI plus any
 * DNS names and IP addresses, AKI and SKI, a random 127-bit serial, and a validity window that
 * starts a minute before `now` to absorb clock skew. Signed with ECDSA-SHA256 by a P-256 CA and
 * with Ed25519 by an Ed25519 CA.
 *
 * Throws ZH_CSR_KEY_UNSUPPORTED for a subject key of another type, ZH_CONFIG_INVALID for a URI
 * that is not a principal URI, a malformed or wildcard DNS name or a malformed IP address, and
 * ZH_CERT_INVALID for a CA that cannot sign (not a CA, key mismatch, expired).
 *
 * @example
 * ```ts
 * const { publicKeyPem } = await parseCsr(csrPem, { commonName: id })
 * const cert = await issueCertificate({ ca, publicKeyPem, commonName: id, uri: principalUri('acme', 'identity', id) })
 * ```
 */
export async function issueCertificate(opts: IssueOptions): Promise<IssuedCertificate> {
  const subjectKey = readPublicKey(opts.publicKeyPem)
  const subject = commonNameSubject(opts.commonName)
  const names = altNames(opts)
  const issuer = await loadIssuer(opts.ca)
  const window = validityWindow(opts.now ?? new Date(), opts.days ?? 30)
  const caExpiry = issuer.cert.notAfter
  const notAfter = window.notAfter > caExpiry ? caExpiry : window.notAfter
  if (notAfter <= window.notBefore) throw new ZhError('ZH_CERT_INVALID', 'the CA has expired')
  const spki = subjectKey.export({ type: 'spki', format: 'der' })
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: issuer.cert.subjectName,
    notBefore: window.notBefore,
    notAfter,
    publicKey: spki,
    signingKey: issuer.key.privateKey,
    signingAlgorithm: signingAlgorithm[issuer.key.type],
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(
        [x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth],
        false,
      ),
      new x509.SubjectAlternativeNameExtension(names, false),
      new x509.AuthorityKeyIdentifierExtension(issuer.keyId, false),
      new x509.SubjectKeyIdentifierExtension(keyIdentifier(subjectKey)),
    ],
  })
  return {
    certPem: cert.toString('pem') + '\n',
    serial: cert.serialNumber.toLowerCase(),
    fingerprint: createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex'),
    notBefore: cert.notBefore,
    notAfter: cert.notAfter,
  }
}

/**
 * Generates a key pair and issues a certificate for it in one step, for principals whose key the
 * controller itself makes (the controller's TLS certificate, the first admin).
 *
 * @example
 * ```ts
 * const tls = await issueKeyAndCertificate({ ca, commonName: 'controller', uri, dnsNames: ['localhost'] })
 * ```
 */
export async function issueKeyAndCertificate(
  opts: Omit<IssueOptions, 'publicKeyPem'> & { keyType?: KeyType },
): Promise<IssuedCertificate & { keyPem: string }> {
  const { keyType, ...rest } = opts
  const { privateKeyPem, publicKeyPem } = await generateKeyPair(keyType)
  const issued = await issueCertificate({ ...rest, publicKeyPem })
  return { ...issued, keyPem: privateKeyPem }
}

function readPublicKey(pem: string): KeyObject {
  let key: KeyObject
  try {
    key = createPublicKey(pem)
  } catch (err) {
    throw new ZhError('ZH_CSR_KEY_UNSUPPORTED', 'the public key does not parse', { cause: err })
  }
  if (key.type !== 'public' || !keyTypeOf(key)) {
    throw new ZhError('ZH_CSR_KEY_UNSUPPORTED', describeKey(key))
  }
  return key
}

function altNames(opts: IssueOptions): x509.JsonGeneralNames {
  if (!parsePrincipalUri(opts.uri)) {
    throw new ZhError(
      'ZH_CONFIG_INVALID',
      `not a zerohook principal URI: ${JSON.stringify(opts.uri)}`,
    )
  }
  const names: x509.JsonGeneralNames = [{ type: 'url', value: opts.uri }]
  for (const dns of opts.dnsNames ?? []) {
    if (!DNS_NAME.test(dns))
      throw new ZhError('ZH_CONFIG_INVALID', `bad DNS name ${JSON.stringify(dns)}`)
    names.push({ type: 'dns', value: dns })
  }
  for (const ip of opts.ipAddresses ?? []) {
    if (isIP(ip) === 0 || ip.includes('%'))
      throw new ZhError('ZH_CONFIG_INVALID', `bad IP address ${JSON.stringify(ip)}`)
    names.push({ type: 'ip', value: ip })
  }
  return names
}
