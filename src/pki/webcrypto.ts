import { createPrivateKey, createPublicKey, webcrypto, type KeyObject } from 'node:crypto'
import { ZhError } from '../errors.js'
import { keyTypeOf, type KeyType } from './keys.js'

/** WebCrypto import parameters of each key type. */
const importParams: Record<KeyType, webcrypto.EcKeyImportParams | webcrypto.Algorithm> = {
  p256: { name: 'ECDSA', namedCurve: 'P-256' },
  ed25519: { name: 'Ed25519' },
}

/** The signature algorithm a key of each type signs with: ECDSA-SHA256 or Ed25519. */
export const signingAlgorithm: Record<KeyType, webcrypto.EcdsaParams | webcrypto.Algorithm> = {
  p256: { name: 'ECDSA', hash: 'SHA-256' },
  ed25519: { name: 'Ed25519' },
}

/** A PEM private key as a WebCrypto signing key, with its type and its public half. */
export interface SigningKey {
  type: KeyType
  privateKey: webcrypto.CryptoKey
  publicKey: KeyObject
}

/**
 * Imports a PKCS#8 (or SEC1) PEM private key for signing. Throws ZH_CSR_KEY_UNSUPPORTED for a key
 * that is neither P-256 nor Ed25519, and ZH_FILE_INVALID when the PEM is not a private key.
 */
export async function importSigningKey(privateKeyPem: string): Promise<SigningKey> {
  let key: KeyObject
  try {
    key = createPrivateKey(privateKeyPem)
  } catch (err) {
    throw new ZhError('ZH_FILE_INVALID', 'not a PEM private key', { cause: err })
  }
  const type = keyTypeOf(key)
  if (!type) throw new ZhError('ZH_CSR_KEY_UNSUPPORTED', describeKey(key))
  const der = key.export({ type: 'pkcs8', format: 'der' })
  const privateKey = await webcrypto.subtle.importKey('pkcs8', der, importParams[type], false, [
    'sign',
  ])
  return { type, privateKey, publicKey: createPublicKey(key) }
}

/** Imports a public key (a KeyObject of a supported type) for WebCrypto verification. */
export async function importVerifyKey(key: KeyObject): Promise<webcrypto.CryptoKey> {
  const type = keyTypeOf(key)
  if (!type) throw new ZhError('ZH_CSR_KEY_UNSUPPORTED', describeKey(key))
  const der = key.export({ type: 'spki', format: 'der' })
  return webcrypto.subtle.importKey('spki', der, importParams[type], true, ['verify'])
}

/** A short description of a key for error details, e.g. `rsa 2048` or `ec secp384r1`. */
export function describeKey(key: KeyObject): string {
  const details = key.asymmetricKeyDetails
  const size = details?.namedCurve ?? details?.modulusLength
  return [key.asymmetricKeyType ?? 'unknown', size].filter((p) => p !== undefined).join(' ')
}
