import { HEADER_LENGTH } from './frame.js'
import { MAX_SLAB, MIN_SLAB, type SlabPool } from './slabs.js'

/**
 * Bytes of frames waiting for one write, copied in as they are queued: the caller may reuse what
 * it queued at once (a circuit completes its write callback then), and the write gets one
 * contiguous buffer, which TLS encrypts without copying it again. Headers are written in place,
 * never built apart. Each batch starts with a buffer as large as the last batch was, so a steady
 * flow does not grow it.
 *
 * With a {@link SlabPool}, that buffer is a pooled slab: `take()` lends it out and `release()`
 * gives it back once the write is done with it, so a steady flow allocates nothing. Without one
 * (a stream that may keep what it was given, like an in-memory pair), every batch is a buffer of
 * its own that the stream keeps.
 *
 * @example
 * const batch = new Batch(writeSlabs)
 * batch.header(FrameType.DATA, 1, payload.length)
 * batch.append(payload)
 * const bytes = batch.take()!
 * socket.write(bytes, () => batch.release(bytes))
 */
export class Batch {
  private buf: Buffer | undefined
  private used = 0
  private nextSize = MIN_SLAB

  constructor(private readonly slabs?: SlabPool) {}

  /** Bytes queued. */
  get length(): number {
    return this.used
  }

  /** Copies `bytes` in after what is queued. */
  append(bytes: Uint8Array): void {
    this.room(bytes.length).set(bytes, this.used)
    this.used += bytes.length
  }

  /** Writes a 12-byte frame header (flags and reserved 0) after what is queued; returns its offset. */
  header(type: number, circuit: number, length: number): number {
    const buf = this.room(HEADER_LENGTH)
    const at = this.used
    buf.writeUInt32BE(type * 0x1000000, at)
    buf.writeUInt32BE(circuit, at + 4)
    buf.writeUInt32BE(length, at + 8)
    this.used += HEADER_LENGTH
    return at
  }

  /** Writes a u32 (big-endian) after what is queued: a CREDIT payload. */
  uint32(value: number): void {
    this.room(4).writeUInt32BE(value, this.used)
    this.used += 4
  }

  /**
   * Overwrites 4 bytes (u32, big-endian) at `offset` of what is queued: the length of the last
   * DATA frame, when a piece of the same circuit joins it.
   */
  patchUInt32(offset: number, value: number): void {
    if (!this.buf || offset + 4 > this.used) throw new RangeError(`no queued bytes at ${offset}`)
    this.buf.writeUInt32BE(value, offset)
  }

  /**
   * The queued bytes, handed over: never touched here again until `release()`; undefined when
   * there are none.
   */
  take(): Buffer | undefined {
    if (!this.buf || this.used === 0) return undefined
    const out = this.buf.subarray(0, this.used)
    this.nextSize = Math.min(MAX_SLAB, Math.max(MIN_SLAB, this.used))
    this.buf = undefined
    this.used = 0
    return out
  }

  /** What `take()` returned is no longer read by anyone: its slab may be reused. */
  release(taken: Buffer): void {
    this.slabs?.give(taken.buffer as ArrayBuffer)
  }

  /** The buffer, with room for `n` more bytes. */
  private room(n: number): Buffer {
    const need = this.used + n
    const buf = this.buf
    if (buf && need <= buf.length) return buf
    const bigger = this.alloc(buf ? Math.max(buf.length * 2, need) : Math.max(this.nextSize, need))
    if (buf) {
      buf.copy(bigger, 0, 0, this.used)
      this.slabs?.give(buf.buffer as ArrayBuffer)
    }
    this.buf = bigger
    return bigger
  }

  private alloc(size: number): Buffer {
    return this.slabs ? this.slabs.take(size) : Buffer.allocUnsafe(size)
  }
}
