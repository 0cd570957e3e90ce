import { createHmac, hash } from 'node:crypto'

type Algorithm = 'sha1' | 'sha256'
type Part = string | Uint8Array

// SHA-1 and SHA-256 both hash 64-byte blocks; keys up to a block are padded, not hashed.
const BLOCK = 64
// Messages up to this size are MACed in a buffer kept for the purpose (no allocation per call).
const ONE_SHOT_MAX = 16 * 1024
const inner = Buffer.alloc(BLOCK + ONE_SHOT_MAX)
// The outer message: a block of pad, then the inner digest (SHA-1: 20 bytes, SHA-256: 32).
const outer = Buffer.alloc(BLOCK + 32)
const outerOf = { sha1: outer.subarray(0, BLOCK + 20), sha256: outer }
// The same bytes as plain typed arrays: V8's own fill and set, not Buffer's (which parses
// encodings on every call).
const innerBytes = new Uint8Array(inner.buffer, inner.byteOffset, inner.length)
const outerBytes = new Uint8Array(outer.buffer, outer.byteOffset, outer.length)

/** An HMAC key with its inner and outer pads (RFC 2104) derived once, for keys used again. */
export interface PaddedKey {
  readonly key: Uint8Array
  readonly ipad: Uint8Array
  readonly opad: Uint8Array
}

/** The key's pads, or the key itself when it is longer than a block (it is hashed first then). */
export function padKey(key: Uint8Array): PaddedKey | Uint8Array {
  if (key.length > BLOCK) return key
  const ipad = new Uint8Array(BLOCK)
  const opad = new Uint8Array(BLOCK)
  xorPad(ipad, key, 0x36)
  xorPad(opad, key, 0x5c)
  return { key, ipad, opad }
}

/**
 * HMAC (RFC 2104) of the concatenated parts. createHmac sets its digest up afresh on every call
 * (about 1 µs on Node 20 with OpenSSL 3: half of a 1 KiB GitHub verify) while the one-shot
 * crypto.hash() reuses it, so a short message under a key of at most a block is MACed as
 * H((K ^ opad) || H((K ^ ipad) || message)) in two such hashes: the same bytes createHmac gives
 * (tested against it). Longer messages stream through createHmac, without copying the body.
 */
export function hmac(algorithm: Algorithm, key: Uint8Array | PaddedKey, ...parts: Part[]): Buffer {
  // A latin1 string copied into Node's buffer pool: cheaper than a Buffer of its own.
  return Buffer.from(mac(algorithm, key, parts, 'binary'), 'latin1')
}

/** {@link hmac} in lower-case hex: a hex signature is compared with it as it is, not decoded. */
export function hmacHex(
  algorithm: Algorithm,
  key: Uint8Array | PaddedKey,
  ...parts: Part[]
): string {
  return mac(algorithm, key, parts, 'hex')
}

function mac(
  algorithm: Algorithm,
  key: Uint8Array | PaddedKey,
  parts: readonly Part[],
  encoding: 'binary' | 'hex',
): string {
  const raw = key instanceof Uint8Array ? key : key.key
  let length = 0
  for (const part of parts) {
    length += typeof part === 'string' ? Buffer.byteLength(part) : part.length
  }
  if (length > ONE_SHOT_MAX || raw.length > BLOCK) {
    const streamed = createHmac(algorithm, raw)
    for (const part of parts) streamed.update(part)
    return streamed.digest(encoding)
  }
  const end = BLOCK + length
  if (key instanceof Uint8Array) xorPad(innerBytes, key, 0x36)
  else innerBytes.set(key.ipad)
  let at = BLOCK
  for (const part of parts) {
    if (typeof part === 'string') at += inner.write(part, at, 'utf8')
    else {
      innerBytes.set(part, at)
      at += part.length
    }
  }
  const innerDigest = hash(algorithm, inner.subarray(0, end), 'binary')
  if (key instanceof Uint8Array) xorPad(outerBytes, key, 0x5c)
  else outerBytes.set(key.opad)
  // (a loop: Buffer's write() with an encoding costs more than the 20 or 32 bytes it copies)
  for (let i = 0; i < innerDigest.length; i++) outerBytes[BLOCK + i] = innerDigest.charCodeAt(i)
  const digest = hash(algorithm, outerOf[algorithm], encoding)
  // The key's pads and the inner digest do not stay in these buffers after the call.
  innerBytes.fill(0, 0, BLOCK)
  outerBytes.fill(0)
  return digest
}

// (length, not byteLength: that getter is not inlined, and costs ~10 ns an iteration.)
function xorPad(target: Uint8Array, key: Uint8Array, pad: number): void {
  target.fill(pad, 0, BLOCK)
  for (let i = 0; i < key.length; i++) target[i]! ^= key[i]!
}
