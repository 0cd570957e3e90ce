import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto'
import type { JWK } from 'jose'

/** The controller's EdDSA key for enrollment tokens and grants. */
export interface SigningKey {
  privateKey: KeyObject
  publicKey: KeyObject
  publicJwk: JWK
  kid: string
}

/** A fresh Ed25519 private key as PKCS#8 PEM. */
export function generateSigningKeyPem(): string {
  return generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString()
}

/** Loads the signing key from its PKCS#8 PEM. */
export function loadSigningKey(pem: string): SigningKey {
  const privateKey = createPrivateKey(pem)
  const publicKey = createPublicKey(privateKey)
  return { privateKey, publicKey, ...describePublicKey(publicKey) }
}

/** The JWK and key id of a public signing key (the kid is a hash of the raw key). */
export function describePublicKey(publicKey: KeyObject): { publicJwk: JWK; kid: string } {
  const jwk = publicKey.export({ format: 'jwk' }) as JWK
  const kid = createHash('sha256')
    .update(jwk.x ?? '')
    .digest('base64url')
    .slice(0, 16)
  return { publicJwk: { ...jwk, kid, alg: 'EdDSA', use: 'sig' }, kid }
}

/** Imports a public signing key from the JWK found in identity files. */
export function publicKeyFromJwk(jwk: JWK): KeyObject {
  return createPublicKey({ key: { kty: jwk.kty, crv: jwk.crv, x: jwk.x }, format: 'jwk' })
}
