/** Smallest slab: 16 KiB. */
export const MIN_SLAB = 16 * 1024
/** Largest slab kept for reuse: 512 KiB. A bigger batch (a peer that stopped reading) gets a one-off. */
export const MAX_SLAB = 512 * 1024
/** Most bytes of idle slabs kept per size (at least four slabs): what a quiet process holds on to. */
const KEEP_BYTES_PER_SIZE = 1024 * 1024

/**
 * Write buffers in power-of-two sizes from 16 to 512 KiB, reused across writes and channels.
 *
 * A writer copies its frames into a slab and hands the slab to the socket; once the socket's
 * write callback has run, the slab comes back here and the next write reuses it. So relaying
 * costs no fresh ArrayBuffer per write: V8 counts every live backing store against its heap
 * limits (a router that allocated one per write ran mark-compact after mark-compact), and a
 * reused one is never garbage. An idle channel holds none; only `take()` allocates, and only
 * while the pool has none of the size free.
 *
 * @example
 * const slab = writeSlabs.take(20_000) // 32 KiB
 * socket.write(slab.subarray(0, n), () => writeSlabs.give(slab.buffer))
 */
export class SlabPool {
  /** Idle slabs by size index (0: 16 KiB, 1: 32 KiB ...). */
  private readonly idle: ArrayBuffer[][] = []

  /** Idle bytes held, all sizes. */
  get idleBytes(): number {
    return this.idle.reduce((n, list, i) => n + list.length * (MIN_SLAB << i), 0)
  }

  /** A slab of at least `min` bytes: a whole slab of the next size up, reused when one is idle. */
  take(min: number): Buffer {
    if (min > MAX_SLAB) return Buffer.allocUnsafeSlow(min)
    let i = 0
    while (MIN_SLAB << i < min) i++
    const reused = this.idle[i]?.pop()
    return reused ? Buffer.from(reused) : Buffer.allocUnsafeSlow(MIN_SLAB << i)
  }

  /**
   * Returns a slab that nothing reads or writes any longer (its write callback ran). A buffer
   * that is not a whole slab of a pooled size is left to the garbage collector.
   */
  give(slab: ArrayBuffer): void {
    const size = slab.byteLength
    if (size < MIN_SLAB || size > MAX_SLAB || (size & (size - 1)) !== 0) return
    const i = Math.log2(size / MIN_SLAB)
    const list = (this.idle[i] ??= [])
    if (list.length < Math.max(4, KEEP_BYTES_PER_SIZE / size)) list.push(slab)
  }
}

/** The process's write slabs, shared by every channel over a socket. */
export const writeSlabs = new SlabPool()
