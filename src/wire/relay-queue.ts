/**
 * Bytes a spliced circuit holds for its peer, relayed from its partner circuit, in arrival
 * order. Pieces come out as views of what went in, never copied here.
 *
 * @example
 * const q = new RelayQueue()
 * q.push(chunk)
 * const piece = q.take(credit) // at most `credit` bytes, from the front
 */
export class RelayQueue {
  /** Bytes queued. */
  bytes = 0
  private chunks: Buffer[] = []
  /** Bytes of chunks[0] already taken. */
  private offset = 0

  push(chunk: Buffer): void {
    this.chunks.push(chunk)
    this.bytes += chunk.length
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
  }
}
