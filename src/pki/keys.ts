import { createHash, generateKeyPair as nodeGenerateKeyPair, type KeyObject } from 'node:crypto'

/** The key types zerohook issues and accepts: ECDSA P-256 (the default) and Ed25519. */
export type KeyType = 'p256' | 'ed25519'

/**
 * Generates a key pair for an identity, router, controller or CA.
 *
 * @param type `'p256'` (ECDSA on NIST P-256, the default: every TLS stack speaks it) or `'ed25519'`.
 * @returns The private key as PKCS#8 PEM and the public key as SPKI PEM.
 * @example
 * ```ts
 * const { privateKeyPem, publicKeyPem } = await generateKeyPair('ed25519')
 * ```
 */
export async function generateKeyPair(
  type: KeyType = 'p256',
): Promise<{ privateKeyPem: string; publicKeyPem: string }> {
  const encoding = {
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  } as const
  const { privateKey, publicKey } = await new Promise<{ privateKey: string; publicKey: string }>(
    (resolve, reject) => {
      const done = (err: Error | null, publicKey: string, privateKey: string) =>
        err ? reject(err) : resolve({ privateKey, publicKey })
      if (type === 'ed25519') nodeGenerateKeyPair('ed25519', encoding, done)
      else nodeGenerateKeyPair('ec', { namedCurve: 'P-256', ...encoding }, done)
    },
  )
  return { privateKeyPem: privateKey, publicKeyPem: publicKey }
}

/**
 * The zerohook key type of a Node key (public or private), or `undefined` for any other key
 * (RSA, P-384, X25519, explicit curve parameters...).
 */
export function keyTypeOf(key: KeyObject): KeyType | undefined {
  if (key.asymmetricKeyType === 'ed25519') return 'ed25519'
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') {
    return 'p256'
  }
  return undefined
}

/**
 * The subject key identifier of a P-256 or Ed25519 public key: SHA-1 of the subjectPublicKey bits
 * (RFC 5280 §4.2.1.2, method 1), lowercase hex. SHA-1 is what the RFC names and only has to tell
 * keys apart here, not resist collisions.
 */
export function keyIdentifier(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' })
  const x = Buffer.from(jwk.x ?? '', 'base64url')
  const raw =
    keyTypeOf(key) === 'p256'
      ? Buffer.concat([Buffer.of(0x04), x, Buffer.from(jwk.y ?? '', 'base64url')])
      : x
  return createHash('sha1').update(raw).digest('hex')
}
