import { ZhError, type ZhCode } from '../errors.js'
import { FrameType, frameRule, HEADER_LENGTH, MAX_PAYLOAD, type Frame } from './frame.js'

/** A frame to encode; `flags` defaults to 0. */
export interface OutgoingFrame {
  type: FrameType
  circuit: number
  payload?: Uint8Array
  flags?: number
}

const EMPTY = Buffer.alloc(0)

/**
 * Encodes a frame as header + payload in ONE buffer, so a frame is always one write.
 * Throws ZH_WIRE_ARGUMENT_INVALID for a frame the decoder would refuse.
 *
 * @example
 * socket.write(encodeFrame({ type: FrameType.PING, circuit: 0, payload: Buffer.alloc(8) }))
 */
export function encodeFrame(frame: OutgoingFrame): Buffer {
  const payload = frame.payload ?? EMPTY
  const flags = frame.flags ?? 0
  const problem = checkHeader(frame.type, flags, 0, frame.circuit, payload.byteLength)
  if (problem) throw new ZhError('ZH_WIRE_ARGUMENT_INVALID', problem[1])
  const out = Buffer.allocUnsafe(HEADER_LENGTH + payload.byteLength)
  out.writeUInt8(frame.type, 0)
  out.writeUInt8(flags, 1)
  out.writeUInt16BE(0, 2)
  out.writeUInt32BE(frame.circuit, 4)
  out.writeUInt32BE(payload.byteLength, 8)
  out.set(payload, HEADER_LENGTH)
  return out
}

/**
 * Encodes only the 12-byte header of a DATA frame whose payload is written right after it, so
 * that the payload is not copied: the writer sends both in one corked `writev`.
 * Throws ZH_WIRE_ARGUMENT_INVALID for a length the decoder would refuse (0 or over 64 KiB).
 *
 * @example
 * socket.cork()
 * socket.write(encodeDataHeader(circuitId, payload.length))
 * socket.write(payload)
 * socket.uncork()
 */
export function encodeDataHeader(circuit: number, length: number): Buffer {
  const problem = checkHeader(FrameType.DATA, 0, 0, circuit, length)
  if (problem) throw new ZhError('ZH_WIRE_ARGUMENT_INVALID', problem[1])
  const out = Buffer.allocUnsafe(HEADER_LENGTH)
  out.writeUInt8(FrameType.DATA, 0)
  out.writeUInt8(0, 1)
  out.writeUInt16BE(0, 2)
  out.writeUInt32BE(circuit, 4)
  out.writeUInt32BE(length, 8)
  return out
}

/**
 * Checks a header against the rules of its type, before any payload is buffered. Returns the
 * code and detail of the first problem, or undefined for a well-formed header.
 */
export function checkHeader(
  type: number,
  flags: number,
  reserved: number,
  circuit: number,
  length: number,
): [ZhCode, string] | undefined {
  const rule = frameRule(type)
  if (!rule) return ['ZH_WIRE_FRAME_TYPE_UNKNOWN', `type ${type}`]
  if (length > MAX_PAYLOAD) return ['ZH_WIRE_FRAME_TOO_LARGE', `length ${length} > ${MAX_PAYLOAD}`]
  if (reserved !== 0) return ['ZH_WIRE_PROTOCOL', `${rule.name} with reserved bits set`]
  if (flags !== 0) return ['ZH_WIRE_PROTOCOL', `${rule.name} with unknown flags ${flags}`]
  if (rule.channel !== (circuit === 0)) {
    return ['ZH_WIRE_PROTOCOL', `${rule.name} on circuit ${circuit}`]
  }
  if (length > rule.max && rule.min !== rule.max) {
    return ['ZH_WIRE_FRAME_TOO_LARGE', `${rule.name} length ${length} > ${rule.max}`]
  }
  if (length < rule.min || length > rule.max) {
    return ['ZH_WIRE_PROTOCOL', `${rule.name} length ${length} not in ${rule.min}..${rule.max}`]
  }
  return undefined
}

/** A frame whose payload is still arriving: buffered whole, or (DATA) passed on as it comes. */
type Partial =
  | { streamed: false; type: FrameType; circuit: number; payload: Buffer; filled: number }
  | { streamed: true; circuit: number; remaining: number }

/**
 * Incremental frame decoder: feed it chunks of any size (one byte at a time works) and iterate
 * the frames they complete. A bad header throws a ZhError (ZH_WIRE_PROTOCOL,
 * ZH_WIRE_FRAME_TOO_LARGE or ZH_WIRE_FRAME_TYPE_UNKNOWN) as soon as its 12 bytes are in, before
 * any payload is buffered; the decoder then stays failed. At most one frame (12 bytes + 64 KiB)
 * of partial data is ever held.
 *
 * DATA is only bytes of a circuit's stream, so a DATA payload is yielded in pieces as they arrive
 * (each a DATA frame of its own, never empty) instead of being copied together first: TLS hands
 * over 16 KiB records, and a 64 KiB frame would otherwise cost a reassembly copy.
 *
 * Iterate each `push` to the end: stopping early drops the rest of that chunk, which is only
 * right when the decoder is being discarded.
 *
 * @example
 * const decoder = new FrameDecoder()
 * socket.on('data', (chunk) => { for (const frame of decoder.push(chunk)) handle(frame) })
 */
export class FrameDecoder {
  private readonly header = Buffer.alloc(HEADER_LENGTH)
  private headerFill = 0
  private partial: Partial | undefined
  private failure: ZhError | undefined

  /** Bytes held for a frame not yet complete (≤ 12 + 64 KiB). */
  get buffered(): number {
    const p = this.partial
    return this.headerFill + (p && !p.streamed ? p.filled : 0)
  }

  /** Feeds a chunk; yields each frame it completes, then throws on a bad header. */
  *push(chunk: Uint8Array): Generator<Frame, void, undefined> {
    if (this.failure) throw this.failure
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    let pos = 0
    while (pos < buf.length) {
      if (this.partial?.streamed) {
        const p = this.partial
        const n = Math.min(p.remaining, buf.length - pos)
        const payload = ownPayload(buf, pos, n)
        pos += n
        p.remaining -= n
        if (p.remaining === 0) this.partial = undefined
        yield { type: FrameType.DATA, flags: 0, circuit: p.circuit, payload }
        continue
      }
      if (this.partial) {
        const p = this.partial
        const n = buf.copy(p.payload, p.filled, pos, pos + p.payload.length - p.filled)
        p.filled += n
        pos += n
        if (p.filled < p.payload.length) return
        this.partial = undefined
        yield { type: p.type, flags: 0, circuit: p.circuit, payload: p.payload }
        continue
      }
      let head: Buffer
      let at: number
      if (this.headerFill === 0 && buf.length - pos >= HEADER_LENGTH) {
        head = buf
        at = pos
        pos += HEADER_LENGTH
      } else {
        const n = buf.copy(this.header, this.headerFill, pos, pos + HEADER_LENGTH - this.headerFill)
        this.headerFill += n
        pos += n
        if (this.headerFill < HEADER_LENGTH) return
        this.headerFill = 0
        head = this.header
        at = 0
      }
      const type = head.readUInt8(at) as FrameType
      const circuit = head.readUInt32BE(at + 4)
      const length = head.readUInt32BE(at + 8)
      const problem = checkHeader(
        type,
        head.readUInt8(at + 1),
        head.readUInt16BE(at + 2),
        circuit,
        length,
      )
      if (problem) {
        this.failure = new ZhError(problem[0], problem[1])
        throw this.failure
      }
      if (buf.length - pos >= length) {
        const payload = ownPayload(buf, pos, length)
        pos += length
        yield { type, flags: 0, circuit, payload }
      } else if (type === FrameType.DATA) {
        this.partial = { streamed: true, circuit, remaining: length }
      } else {
        const payload = Buffer.allocUnsafe(length)
        this.partial = { streamed: false, type, circuit, payload, filled: 0 }
      }
    }
  }
}

/**
 * A payload cut from a received chunk. A small payload is copied so that it does not pin a large
 * chunk in memory while it waits, unread, in a circuit (windows count payload bytes only).
 */
function ownPayload(chunk: Buffer, start: number, length: number): Buffer {
  const view = chunk.subarray(start, start + length)
  return length * 2 >= chunk.length ? view : Buffer.from(view)
}
