/** Smallest buffer a batch starts with. */
const MIN_BATCH = 16 * 1024
/** Largest buffer a batch starts with; past it, it grows as frames come. */
const MAX_FIRST_BATCH = 512 * 1024

/**
 * Bytes of frames waiting for one write, copied in as they are queued: the caller may reuse what
 * it queued at once (a circuit completes its write callback then), and the write gets one
 * contiguous buffer, which TLS encrypts without copying it again. Each batch starts with a buffer
 * as large as the last batch was, so a steady flow does not grow it.
 *
 * @example
 * const batch = new Batch()
 * batch.append(header)
 * batch.append(payload)
 * socket.write(batch.take()!)
 */
export class Batch {
  private buf: Buffer | undefined
  private used = 0
  private nextSize = MIN_BATCH

  /** Bytes queued. */
  get length(): number {
    return this.used
  }

  /** Copies `bytes` in after what is queued. */
  append(bytes: Uint8Array): void {
    const need = this.used + bytes.length
    if (!this.buf) {
      this.buf = Buffer.allocUnsafe(Math.max(this.nextSize, need))
    } else if (need > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(this.buf.length * 2, need))
      this.buf.copy(bigger, 0, 0, this.used)
      this.buf = bigger
    }
    this.buf.set(bytes, this.used)
    this.used = need
  }

  /**
   * Overwrites 4 bytes (u32, big-endian) at `offset` of what is queued: the length of the last
   * DATA frame, when a piece of the same circuit joins it.
   */
  patchUInt32(offset: number, value: number): void {
    if (!this.buf || offset + 4 > this.used) throw new RangeError(`no queued bytes at ${offset}`)
    this.buf.writeUInt32BE(value, offset)
  }

  /** The queued bytes, handed over (never touched again here); undefined when there are none. */
  take(): Buffer | undefined {
    if (!this.buf || this.used === 0) return undefined
    const out = this.buf.subarray(0, this.used)
    this.nextSize = Math.min(MAX_FIRST_BATCH, Math.max(MIN_BATCH, this.used))
    this.buf = undefined
    this.used = 0
    return out
  }
}
