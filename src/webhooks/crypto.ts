import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'
import { hmac } from './hmac.js'

export { hmac, hmacHex, padKey, type PaddedKey } from './hmac.js'

/** SHA-256 of the concatenated parts. */
export function sha256(...parts: readonly (string | Uint8Array)[]): Buffer {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return hash.digest()
}

/**
 * Constant-time comparison of an expected digest with a presented one. The expected length is
 * public (the digest size), so a length mismatch may return early without leaking the secret.
 */
export function digestEqual(expected: Uint8Array, presented: Uint8Array | undefined): boolean {
  if (presented === undefined || presented.length !== expected.length) return false
  return timingSafeEqual(expected, presented)
}

// Text digests are compared in these bytes, each length in views made once: no allocation.
const TEXT_MAX = 128
const texts = new Uint8Array(2 * TEXT_MAX)
const textViews = new Map<number, readonly [Uint8Array, Uint8Array]>()

/**
 * {@link digestEqual} for a digest written as ASCII text (hex, say) and a presented text, as
 * they are: a character outside ASCII never matches (it is not truncated to a byte).
 */
export function textDigestEqual(expected: string, presented: string): boolean {
  const length = expected.length
  if (presented.length !== length) return false
  if (length > TEXT_MAX) {
    // As many UTF-8 bytes as characters: all ASCII.
    const ascii = Buffer.byteLength(presented) === length
    return ascii && digestEqual(Buffer.from(expected), Buffer.from(presented))
  }
  let views = textViews.get(length)
  if (views === undefined) {
    views = [texts.subarray(0, length), texts.subarray(TEXT_MAX, TEXT_MAX + length)]
    textViews.set(length, views)
  }
  const [a, b] = views
  let outside = 0
  for (let i = 0; i < length; i++) {
    a[i] = expected.charCodeAt(i)
    const c = presented.charCodeAt(i)
    outside |= c >> 7
    b[i] = c
  }
  const equal = timingSafeEqual(a, b)
  texts.fill(0)
  return equal && outside === 0
}

// A per-process key so that comparing two secret strings compares equal-length MACs: neither
// the secret's length nor a common prefix shows in the timing.
const compareKey = randomBytes(32)

/** Constant-time comparison of two secret values of any lengths (a token against the secret). */
export function secretEqual(a: string | Uint8Array, b: string | Uint8Array): boolean {
  return timingSafeEqual(hmac('sha256', compareKey, a), hmac('sha256', compareKey, b))
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/** Strict hex decoding: undefined for anything but whole bytes of hex digits. */
export function fromHex(text: string): Buffer | undefined {
  return HEX.test(text) ? Buffer.from(text, 'hex') : undefined
}

/** Strict padded base64 decoding (Node's decoder silently skips junk; this refuses it). */
export function fromBase64(text: string): Buffer | undefined {
  return text.length > 0 && BASE64.test(text) ? Buffer.from(text, 'base64') : undefined
}

/** Body bytes from what a signer passes (a string is encoded as UTF-8). */
export function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body
}

/** A replay id for schemes that carry none: a digest of what makes this request unique. */
export function digestId(...parts: readonly (string | Uint8Array)[]): string {
  return `sha256:${sha256(...parts).toString('hex')}`
}
