import { ZhError } from '../errors.js'
import { generateKeyPair, keyIdentifier, type KeyType } from './keys.js'
import { randomSerial } from './serial.js'
import { isUriPart } from './uri.js'
import { validityWindow } from './validity.js'
import { importSigningKey, signingAlgorithm } from './webcrypto.js'
import { x509 } from './x509.js'

/** A certificate and its private key, both PEM (the key is PKCS#8). */
export interface CertifiedKey {
  certPem: string
  keyPem: string
}

/**
 * Creates the self-signed root CA of a network: subject `CN=zerohook <network> CA`,
 * basicConstraints CA:true with pathLen 0 (it signs leaves only), keyUsage keyCertSign and
 * cRLSign (both critical), a subject key identifier, and a random 127-bit serial.
 *
 * @param opts.network The network name (1-64 characters of `A-Za-z0-9._~-`).
 * @param opts.keyType `'p256'` (default) or `'ed25519'`; leaves are signed with the same.
 * @param opts.days Lifetime in days, default 3650.
 * @param opts.now Start of validity (minus a minute of clock skew), default now.
 * @example
 * ```ts
 * const ca = await createCa({ network: 'acme' })
 * await writeSecretFile('ca.key', ca.keyPem)
 * ```
 */
export async function createCa(opts: {
  network: string
  keyType?: KeyType
  days?: number
  now?: Date
}): Promise<CertifiedKey> {
  if (!isUriPart(opts.network)) {
    throw new ZhError('ZH_NAME_INVALID', `network ${JSON.stringify(opts.network)}`)
  }
  const { notBefore, notAfter } = validityWindow(opts.now ?? new Date(), opts.days ?? 3650)
  const type = opts.keyType ?? 'p256'
  const { privateKeyPem } = await generateKeyPair(type)
  const key = await importSigningKey(privateKeyPem)
  const spki = key.publicKey.export({ type: 'spki', format: 'der' })
  // Not checkCommonName: a 53-64 character network name is valid and gives a longer CN, which
  // no verifier rejects.
  const name: x509.JsonName = [{ CN: [`zerohook ${opts.network} CA`] }]
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: name,
    issuer: name,
    notBefore,
    notAfter,
    publicKey: spki,
    signingKey: key.privateKey,
    signingAlgorithm: signingAlgorithm[type],
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign,
        true,
      ),
      new x509.SubjectKeyIdentifierExtension(keyIdentifier(key.publicKey)),
    ],
  })
  return { certPem: cert.toString('pem') + '\n', keyPem: privateKeyPem }
}
