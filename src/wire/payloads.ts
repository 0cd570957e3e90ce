import { isZhCode, ZhError, type ZhCode } from '../errors.js'
import { MAX_REASON_CODE, MAX_REASON_MESSAGE } from './frame.js'

/** A RESET or GOAWAY reason: a stable code (`A-Z0-9_`) and an optional human message. */
export interface Reason {
  code: string
  message: string
}

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/
const utf8 = new TextDecoder('utf-8', { fatal: true })

/** True when `code` can travel in a RESET or GOAWAY: 1-64 of `A-Z0-9_`, starting with a letter. */
export function isReasonCode(code: string): boolean {
  return CODE.test(code)
}

/** CREDIT payload: u32 bytes granted. */
export function encodeCredit(bytes: number): Buffer {
  const out = Buffer.allocUnsafe(4)
  out.writeUInt32BE(bytes, 0)
  return out
}

/** Reads a CREDIT payload; a grant of 0 is a protocol error (it could only be noise). */
export function decodeCredit(payload: Uint8Array): number {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).readUInt32BE(0)
  if (bytes === 0) throw new ZhError('ZH_WIRE_PROTOCOL', 'CREDIT of 0 bytes')
  return bytes
}

/**
 * RESET/GOAWAY payload: u16 code length, ASCII code, UTF-8 message (cut to 512 bytes on a
 * character boundary). An empty code (GOAWAY only) means a normal close. Throws
 * ZH_WIRE_ARGUMENT_INVALID for a code that cannot travel.
 */
export function encodeReason(code: string, message = '', allowEmpty = false): Buffer {
  if (!(isReasonCode(code) || (allowEmpty && code === ''))) {
    throw new ZhError(
      'ZH_WIRE_ARGUMENT_INVALID',
      `reason code ${JSON.stringify(code.slice(0, 80))}`,
    )
  }
  let text = Buffer.from(message, 'utf8')
  if (text.length > MAX_REASON_MESSAGE) {
    let cut = MAX_REASON_MESSAGE
    while (cut > 0 && ((text[cut] ?? 0) & 0xc0) === 0x80) cut--
    text = text.subarray(0, cut)
  }
  const out = Buffer.allocUnsafe(2 + code.length + text.length)
  out.writeUInt16BE(code.length, 0)
  out.write(code, 2, 'latin1')
  out.set(text, 2 + code.length)
  return out
}

/** Reads a RESET/GOAWAY payload; anything malformed is ZH_WIRE_PROTOCOL. */
export function decodeReason(payload: Uint8Array, allowEmpty = false): Reason {
  const buf = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength)
  const length = buf.readUInt16BE(0)
  if (length > MAX_REASON_CODE || 2 + length > buf.length) {
    throw new ZhError('ZH_WIRE_PROTOCOL', `reason code length ${length}`)
  }
  const code = buf.toString('latin1', 2, 2 + length)
  if (!(isReasonCode(code) || (allowEmpty && code === ''))) {
    throw new ZhError('ZH_WIRE_PROTOCOL', 'reason code is not A-Z, 0-9 and _')
  }
  const rest = buf.subarray(2 + length)
  if (rest.length > MAX_REASON_MESSAGE)
    throw new ZhError('ZH_WIRE_PROTOCOL', 'reason message too long')
  try {
    return { code, message: utf8.decode(rest) }
  } catch {
    throw new ZhError('ZH_WIRE_PROTOCOL', 'reason message is not UTF-8')
  }
}

/**
 * The local error for a reason that came from the peer: the peer's own ZhError when its code is
 * in our registry (so `ZH_GRANT_EXPIRED` stays `ZH_GRANT_EXPIRED`), else `fallback` with the
 * foreign code in the detail.
 */
export function reasonError(reason: Reason, fallback: ZhCode): ZhError {
  if (isZhCode(reason.code)) return new ZhError(reason.code, reason.message || undefined)
  const detail = reason.message ? `${reason.code}: ${reason.message}` : reason.code
  return new ZhError(fallback, detail || undefined)
}

/**
 * The reason to send the peer for a local error: its code when it can travel, else `fallback`.
 * Only a ZhError's detail is sent; other messages may hold local paths and stay here.
 */
export function reasonOf(err: unknown, fallback: string): Reason {
  const code = (err as { code?: unknown } | null)?.code
  const usable = typeof code === 'string' && isReasonCode(code)
  const message = err instanceof ZhError ? (err.detail ?? '') : ''
  return { code: usable ? code : fallback, message }
}
