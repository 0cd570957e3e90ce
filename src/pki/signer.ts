import { X509Certificate as NodeCertificate, createHash } from 'node:crypto'
import { ZhError } from '../errors.js'
import type { CertifiedKey } from './ca.js'
import { keyIdentifier } from './keys.js'
import { importSigningKey, type SigningKey } from './webcrypto.js'
import { x509 } from './x509.js'

/** A CA ready to sign: its parsed certificate, its key, and the key id leaves point back to. */
export interface Issuer {
  cert: x509.X509Certificate
  key: SigningKey
  /** The CA's subject key identifier (hex), copied into each leaf's authority key identifier. */
  keyId: string
}

/** Loading a CA costs more than signing with it; a controller signs with one or two CAs. */
const MAX_CACHED = 4
const cache = new Map<string, Promise<Issuer>>()

/**
 * Loads a CA for signing and checks it can act as one: the certificate parses, is a CA
 * (basicConstraints CA:true), and its public key is the half of `keyPem`. A mismatched or non-CA
 * pair would mint certificates nobody can verify, so it is refused up front with ZH_CERT_INVALID.
 * Loaded CAs are cached by a hash of both PEMs (the PEM strings themselves are not retained).
 */
export function loadIssuer(ca: CertifiedKey): Promise<Issuer> {
  const id = createHash('sha256').update(ca.certPem).update('\0').update(ca.keyPem).digest('hex')
  let issuer = cache.get(id)
  if (!issuer) {
    issuer = readIssuer(ca)
    cache.set(id, issuer)
    void issuer.catch(() => cache.delete(id))
    if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value!)
  }
  return issuer
}

async function readIssuer(ca: CertifiedKey): Promise<Issuer> {
  let cert: x509.X509Certificate
  let nodeCert: NodeCertificate
  try {
    nodeCert = new NodeCertificate(ca.certPem)
    cert = new x509.X509Certificate(nodeCert.raw)
  } catch (err) {
    throw new ZhError('ZH_CERT_INVALID', 'the CA certificate does not parse', { cause: err })
  }
  if (!nodeCert.ca) throw new ZhError('ZH_CERT_INVALID', 'the CA certificate is not a CA')
  const key = await importSigningKey(ca.keyPem)
  if (!nodeCert.publicKey.equals(key.publicKey)) {
    throw new ZhError('ZH_CERT_INVALID', 'the CA key does not match the CA certificate')
  }
  const ski = cert.getExtension(x509.SubjectKeyIdentifierExtension)
  return { cert, key, keyId: ski?.keyId ?? keyIdentifier(key.publicKey) }
}
