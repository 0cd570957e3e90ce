import { KeyObject, createPrivateKey, createPublicKey } from 'node:crypto'
import { ZhError } from '../errors.js'
import { fromBase64, fromHex } from './crypto.js'
import type { PrivateKeyInput, PublicKeyInput, Secret } from './types.js'

// DER prefixes wrapping a raw Ed25519 seed (PKCS#8) and a raw public key (SPKI), RFC 8410.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex')
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex')

const invalid = (detail: string): ZhError => new ZhError('ZH_WEBHOOK_SECRET_INVALID', detail)

/** One value or a list of them (a secret, or secrets for rotation), as a list. */
export function asList<T>(value: T | readonly T[] | undefined): readonly T[] {
  if (value === undefined) return []
  return Array.isArray(value) ? (value as readonly T[]) : [value as T]
}

/** An HMAC key from a provider secret used as-is (GitHub, Stripe, Slack...). Empty is refused. */
export function hmacKey(secret: Secret): Uint8Array {
  const bytes = typeof secret === 'string' ? Buffer.from(secret, 'utf8') : secret
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) {
    throw invalid('the secret must be a non-empty string or bytes')
  }
  return bytes
}

/** True for a Standard Webhooks symmetric secret (`whsec_...`). */
export const isStandardSecret = (secret: Secret): boolean =>
  typeof secret !== 'string' || secret.startsWith('whsec_')

/** The HMAC key of a Standard Webhooks secret: `whsec_` + base64 (at least 16 bytes), or raw bytes. */
export function standardSecretKey(secret: Secret): Uint8Array {
  if (typeof secret !== 'string') return hmacKey(secret)
  if (!secret.startsWith('whsec_')) throw invalid('a Standard Webhooks secret starts with whsec_')
  const key = fromBase64(secret.slice('whsec_'.length))
  if (!key || key.length < 16)
    throw invalid('whsec_ must be followed by base64 of 16 or more bytes')
  return key
}

/**
 * An Ed25519 private key. Strings are `whsk_` + base64 or hex (Discord style); the bytes are a
 * 32-byte seed, or 64 bytes of seed and public key, whose second half must be the seed's key.
 */
export function ed25519PrivateKey(input: PrivateKeyInput): KeyObject {
  if (input instanceof KeyObject) {
    if (input.type !== 'private' || input.asymmetricKeyType !== 'ed25519') {
      throw invalid('the key must be an Ed25519 private key')
    }
    return input
  }
  const bytes = typeof input === 'string' ? decodeKeyString(input, 'whsk_') : input
  if (!bytes || (bytes.length !== 32 && bytes.length !== 64)) {
    throw invalid('an Ed25519 private key is a 32-byte seed or 64 bytes of seed and public key')
  }
  const key = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, bytes.subarray(0, 32)]),
    format: 'der',
    type: 'pkcs8',
  })
  if (bytes.length === 64 && !Buffer.from(bytes.subarray(32)).equals(rawPublicKey(key))) {
    throw invalid('the second half of the 64-byte key is not the public key of its seed')
  }
  return key
}

/** An Ed25519 public key: `whpk_` + base64, hex (Discord), 32 raw bytes, or a KeyObject. */
export function ed25519PublicKey(input: PublicKeyInput): KeyObject {
  if (input instanceof KeyObject) {
    if (input.asymmetricKeyType !== 'ed25519') throw invalid('the key must be an Ed25519 key')
    return input.type === 'private' ? createPublicKey(input) : input
  }
  if (typeof input === 'string' && input.startsWith('whsk_')) {
    return createPublicKey(ed25519PrivateKey(input))
  }
  const bytes = typeof input === 'string' ? decodeKeyString(input, 'whpk_') : input
  if (!bytes || bytes.length !== 32) throw invalid('an Ed25519 public key is 32 bytes')
  try {
    return createPublicKey({
      key: Buffer.concat([SPKI_PREFIX, bytes]),
      format: 'der',
      type: 'spki',
    })
  } catch (cause) {
    throw new ZhError('ZH_WEBHOOK_SECRET_INVALID', 'not a valid Ed25519 public key', { cause })
  }
}

/** The 32 raw bytes of an Ed25519 public key. */
export function rawPublicKey(key: KeyObject): Buffer {
  const jwk = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' })
  return Buffer.from(jwk.x ?? '', 'base64url')
}

function decodeKeyString(text: string, prefix: string): Uint8Array | undefined {
  if (text.startsWith(prefix)) return fromBase64(text.slice(prefix.length))
  return fromHex(text)
}
