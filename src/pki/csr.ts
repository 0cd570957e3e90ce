import { createPublicKey, type KeyObject } from 'node:crypto'
import { ZhError } from '../errors.js'
import { generateKeyPair, keyTypeOf, type KeyType } from './keys.js'
import { commonNameSubject, soleCommonName } from './subject.js'
import { describeKey, importSigningKey, importVerifyKey, signingAlgorithm } from './webcrypto.js'
import { x509 } from './x509.js'

/** Largest CSR PEM we parse; a P-256 or Ed25519 CSR is well under 1 KiB. */
export const MAX_CSR_PEM = 16 * 1024

const PEM_CSR =
  /^-----BEGIN CERTIFICATE REQUEST-----\r?\n([A-Za-z0-9+/=\r\n]+)-----END CERTIFICATE REQUEST-----\r?\n?$/

/** The only signature algorithm accepted for each key type: ecdsa-with-SHA256 or Ed25519. */
const SIGNATURE_ALGORITHM: Record<KeyType, string> = {
  p256: 'ECDSA/SHA-256',
  ed25519: 'Ed25519/',
}

/**
 * Makes a PKCS#10 certificate signing request with subject `CN=<commonName>`, signed by the key
 * it certifies (ECDSA-SHA256 for P-256, Ed25519 for Ed25519).
 *
 * @example
 * ```ts
 * const { privateKeyPem, publicKeyPem } = await generateKeyPair()
 * const csrPem = await createCsr({ commonName: id, privateKeyPem, publicKeyPem })
 * ```
 */
export async function createCsr(opts: {
  commonName: string
  privateKeyPem: string
  publicKeyPem: string
}): Promise<string> {
  const signing = await importSigningKey(opts.privateKeyPem)
  if (!samePublicKey(opts.publicKeyPem, signing.publicKey)) {
    throw new ZhError('ZH_CSR_INVALID', 'the public key is not the half of the private key')
  }
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: commonNameSubject(opts.commonName),
    keys: { privateKey: signing.privateKey, publicKey: await importVerifyKey(signing.publicKey) },
    signingAlgorithm: signingAlgorithm[signing.type],
  })
  return csr.toString('pem') + '\n'
}

/**
 * Generates a key pair and a CSR for it; the private key stays with the caller (an enrolling
 * endpoint never sends it anywhere).
 *
 * @example
 * ```ts
 * const { keyPem, csrPem } = await createKeyAndCsr({ commonName: claims.sub })
 * ```
 */
export async function createKeyAndCsr(opts: {
  commonName: string
  keyType?: KeyType
}): Promise<{ keyPem: string; csrPem: string }> {
  const { privateKeyPem, publicKeyPem } = await generateKeyPair(opts.keyType)
  const csrPem = await createCsr({ commonName: opts.commonName, privateKeyPem, publicKeyPem })
  return { keyPem: privateKeyPem, csrPem }
}

/**
 * Parses and checks a CSR received from a client: one PEM `CERTIFICATE REQUEST` of at most
 * 16 KiB, a P-256 or Ed25519 key, a valid self-signature with the matching algorithm, and a
 * subject of exactly `CN=<expect.commonName>`. Only the public key is kept: requested extensions
 * and attributes are ignored, the issuer decides every field of the certificate.
 *
 * Throws ZH_CSR_INVALID (unparsable, oversized, bad signature), ZH_CSR_KEY_UNSUPPORTED (RSA,
 * P-384, ...) or ZH_CSR_SUBJECT_INVALID.
 *
 * @example
 * ```ts
 * const { publicKeyPem } = await parseCsr(body.csr, { commonName: identity.id })
 * ```
 */
export async function parseCsr(
  csrPem: string,
  expect: { commonName: string },
): Promise<{ publicKeyPem: string; keyType: KeyType }> {
  const csr = decodeCsr(csrPem)
  let key: KeyObject
  try {
    key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' })
  } catch (err) {
    throw new ZhError('ZH_CSR_KEY_UNSUPPORTED', 'the public key does not parse', { cause: err })
  }
  const keyType = keyTypeOf(key)
  if (!keyType) throw new ZhError('ZH_CSR_KEY_UNSUPPORTED', describeKey(key))
  // Typed against the DOM's Algorithm, which this Node-only project does not load.
  const { name, hash } = csr.signatureAlgorithm as unknown as {
    name: string
    hash?: { name: string }
  }
  const algorithm = `${name}/${hash?.name ?? ''}`
  if (algorithm !== SIGNATURE_ALGORITHM[keyType]) {
    throw new ZhError('ZH_CSR_INVALID', `signature algorithm ${algorithm} for a ${keyType} key`)
  }
  if (!(await verifySignature(csr))) throw new ZhError('ZH_CSR_INVALID', 'bad signature')
  const commonName = soleCommonName(csr.subjectName)
  if (commonName !== expect.commonName) {
    throw new ZhError(
      'ZH_CSR_SUBJECT_INVALID',
      `expected CN=${expect.commonName}, got ${JSON.stringify(csr.subject.slice(0, 200))}`,
    )
  }
  return { publicKeyPem: key.export({ type: 'spki', format: 'pem' }) as string, keyType }
}

function decodeCsr(csrPem: string): x509.Pkcs10CertificateRequest {
  if (typeof csrPem !== 'string' || csrPem.length > MAX_CSR_PEM) {
    throw new ZhError('ZH_CSR_INVALID', `not a string of at most ${MAX_CSR_PEM} characters`)
  }
  const match = PEM_CSR.exec(csrPem.trim() + '\n')
  if (!match) throw new ZhError('ZH_CSR_INVALID', 'expected one PEM CERTIFICATE REQUEST')
  try {
    return new x509.Pkcs10CertificateRequest(Buffer.from(match[1]!, 'base64'))
  } catch (err) {
    throw new ZhError('ZH_CSR_INVALID', 'the request does not parse', { cause: err })
  }
}

async function verifySignature(csr: x509.Pkcs10CertificateRequest): Promise<boolean> {
  try {
    return await csr.verify()
  } catch {
    return false
  }
}

function samePublicKey(pem: string, key: KeyObject): boolean {
  try {
    return createPublicKey(pem).equals(key)
  } catch {
    return false
  }
}
