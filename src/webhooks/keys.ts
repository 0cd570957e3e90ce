import { KeyObject, createPrivateKey, createPublicKey } from 'node:crypto'
import { ZhError } from '../errors.js'
import { fromBase64, fromHex, padKey, type PaddedKey } from './crypto.js'
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

// A receiver verifies many messages under few secrets: their HMAC pads are derived once. Only
// strings are kept (bytes could be changed by the caller in place), and at most 64 of them, so
// a process that meets a new secret per request (one per tenant) does not grow without end.
const PADDED_MAX = 64
const padded = new Map<string, PaddedKey | Uint8Array>()

/** {@link hmacKey}, with the pads of a string secret kept for its next use. */
export function paddedHmacKey(secret: Secret): PaddedKey | Uint8Array {
  if (typeof secret !== 'string') return hmacKey(secret)
  const known = padded.get(secret)
  if (known !== undefined) return known
  const key = padKey(hmacKey(secret))
  if (padded.size >= PADDED_MAX) padded.delete(padded.keys().next().value!)
  padded.set(secret, key)
  return key
}

/**
 * True when a Standard Webhooks secret is an HMAC secret: any bytes, and any string but one that
 * says by its prefix that it is an Ed25519 key (`whpk_`, or the sender's `whsk_`). The kind of a
 * key never comes from its shape: a bare base64 or a 64-hex-digit string is an HMAC secret here.
 */
export const isStandardSecret = (secret: Secret): boolean =>
  typeof secret !== 'string' || !(secret.startsWith('whpk_') || secret.startsWith('whsk_'))

/**
 * The HMAC key of a Standard Webhooks secret: raw bytes, or base64 (at least 16 bytes) after an
 * optional `whsec_` prefix, as the reference libraries read it (Svix and Brex hand out the bare
 * base64).
 */
export function standardSecretKey(secret: Secret): Uint8Array {
  if (typeof secret !== 'string') return hmacKey(secret)
  const key = fromBase64(secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret)
  if (!key || key.length < 16) {
    throw invalid('a Standard Webhooks secret is base64 of 16 or more bytes, after whsec_ or bare')
  }
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
  if (typeof input === 'string' && input.startsWith('whsec_')) {
    throw invalid('a whsec_ value is a shared secret: pass it as secret, not as a public key')
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
