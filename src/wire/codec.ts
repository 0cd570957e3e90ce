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
 * Receives each frame {@link FrameDecoder.decode} completes. A DATA payload is a view of the chunk
 * that was fed in (never copied); any other payload is copied when it is small next to that
 * chunk, so that keeping it does not pin the chunk.
 */
export type FrameHandler = (type: FrameType, circuit: number, payload: Buffer) => void

/**
 * Incremental frame decoder: feed it chunks of any size (one byte at a time works) and it hands
 * over the frames they complete. A bad header throws a ZhError (ZH_WIRE_PROTOCOL,
 * ZH_WIRE_FRAME_TOO_LARGE or ZH_WIRE_FRAME_TYPE_UNKNOWN) as soon as its 12 bytes are in, before
 * any payload is buffered; the decoder then stays failed. At most one frame (12 bytes + 64 KiB)
 * of partial data is ever held.
 *
 * DATA is only bytes of a circuit's stream, so a DATA payload is handed over in pieces as they
 * arrive (each a DATA frame of its own, never empty) instead of being copied together first:
 * TLS hands over 16 KiB records, and a 64 KiB frame would otherwise cost a reassembly copy.
 *
 * @example
 * const decoder = new FrameDecoder()
 * socket.on('data', (chunk) => decoder.decode(chunk, (type, circuit, payload) => handle(type, circuit, payload)))
 * // or, one frame object each: for (const frame of decoder.push(chunk)) handle(frame)
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

  /**
   * Feeds a chunk and yields each frame it completes as an object, then throws on a bad header.
   * Unlike {@link decode}, a small DATA payload is copied too. Iterate each `push` to the end:
   * stopping early drops the rest of that chunk, which is only right when the decoder is being
   * discarded.
   */
  *push(chunk: Uint8Array): Generator<Frame, void, undefined> {
    const frames: Frame[] = []
    let failure: ZhError | undefined
    try {
      this.decode(chunk, (type, circuit, payload) => {
        const own = type === FrameType.DATA ? ownPayload(payload, chunk.byteLength) : payload
        frames.push({ type, flags: 0, circuit, payload: own })
      })
    } catch (err) {
      failure = err as ZhError // the handler above cannot throw: only a bad header can
    }
    yield* frames
    if (failure) throw failure
  }

  /**
   * Feeds a chunk; calls `onFrame` for each frame it completes, in order, then throws on a bad
   * header (after the frames before it). An exception from `onFrame` propagates and leaves the
   * rest of the chunk undecoded: only right when the decoder is being discarded.
   */
  decode(chunk: Uint8Array, onFrame: FrameHandler): void {
    if (this.failure) throw this.failure
    const buf = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength)
    let pos = 0
    while (pos < buf.length) {
      const p = this.partial
      if (p?.streamed) {
        const n = Math.min(p.remaining, buf.length - pos)
        const payload = buf.subarray(pos, pos + n)
        pos += n
        p.remaining -= n
        if (p.remaining === 0) this.partial = undefined
        onFrame(FrameType.DATA, p.circuit, payload)
        continue
      }
      if (p) {
        const n = buf.copy(p.payload, p.filled, pos, pos + p.payload.length - p.filled)
        p.filled += n
        pos += n
        if (p.filled < p.payload.length) return
        this.partial = undefined
        onFrame(p.type, p.circuit, p.payload)
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
        const view = buf.subarray(pos, pos + length)
        pos += length
        onFrame(type, circuit, type === FrameType.DATA ? view : ownPayload(view, buf.length))
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
 * A payload cut from a received chunk of `chunkLength` bytes, to keep. A small payload is copied
 * so that it does not pin a large chunk in memory while it waits (windows count payload bytes
 * only).
 */
export function ownPayload(view: Buffer, chunkLength = view.buffer.byteLength): Buffer {
  return view.length * 2 >= chunkLength ? view : Buffer.from(view)
}
