/**
 * Bytes a spliced circuit holds for its peer, relayed from its partner circuit, in arrival
 * order. Pieces come out as views of what went in; a small view of a large chunk that has to wait
 * is copied by `settle()`, so that what waits here is about what the window counts.
 *
 * @example
 * const q = new RelayQueue()
 * q.push(chunk)
 * const piece = q.take(credit) // at most `credit` bytes, from the front
 * q.settle() // what is left of it waits: do not let it pin its chunk
 */
export class RelayQueue {
  /** Bytes queued. */
  bytes = 0
  private chunks: Buffer[] = []
  /** Bytes of chunks[0] already taken. */
  private offset = 0
  /** Chunks at the end pushed since the last `settle()`. */
  private unsettled = 0

  push(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.bytes += chunk.length
    this.unsettled++
  }

  /**
   * Copies what is left of each chunk pushed since the last call when that is less than half the
   * buffer it is a view of (the rule of `ownPayload` in codec.ts).
   */
  settle(): void {
    const chunks = this.chunks
    for (let i = Math.max(0, chunks.length - this.unsettled); i < chunks.length; i++) {
      const chunk = chunks[i]!
      const from = i === 0 ? this.offset : 0
      if ((chunk.length - from) * 2 >= chunk.buffer.byteLength) continue
      chunks[i] = Buffer.from(chunk.subarray(from))
      if (i === 0) this.offset = 0
    }
    this.unsettled = 0
  }

  /** Up to `max` bytes from the front, or undefined when empty. */
  take(max: number): Buffer | undefined {
    const head = this.chunks[0]
    if (!head || max <= 0) return undefined
    const n = Math.min(max, head.length - this.offset)
    const piece = head.subarray(this.offset, this.offset + n)
    this.offset += n
    this.bytes -= n
    if (this.offset === head.length) {
      this.chunks.shift()
      this.offset = 0
    }
    return piece
  }

  /** Drops everything (the circuit is gone). */
  clear(): void {
    this.chunks = []
    this.offset = 0
    this.bytes = 0
    this.unsettled = 0
  }
}
