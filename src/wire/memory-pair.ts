import { Duplex } from 'node:stream'

/** Options of {@link createMemoryPair}. */
export interface MemoryPairOptions {
  /** Keep every chunk written, per direction, in `captured` (default false). */
  capture?: boolean
  /** Readable and writable buffer of each end before writers wait (default 64 KiB). */
  highWaterMark?: number
}

/** Two connected in-memory duplexes: what `a` writes, `b` reads, and back. */
export interface MemoryPair {
  a: Duplex
  b: Duplex
  /** Chunks as written, one entry per `write()`, when `capture` is on. */
  captured: { aToB: Buffer[]; bToA: Buffer[] }
}

/** EPIPE, as a socket reports a write to a peer that is gone. */
function brokenPipe(): Error {
  return Object.assign(new Error('write EPIPE: the other end of the memory pair is closed'), {
    code: 'EPIPE',
  })
}

/**
 * One end of a memory pair. Behaves like a socket: backpressure (a write completes only once the
 * other end has room), `end()` is a FIN, `destroy()` ends the other end's readable side and makes
 * its later writes fail with EPIPE, and the end that reads EOF ends its own side too.
 */
class MemoryEnd extends Duplex {
  peer: MemoryEnd | undefined
  /** The peer's write callback, held until we have room again. */
  private heldWrite: ((err?: Error | null) => void) | undefined

  constructor(
    highWaterMark: number,
    private readonly log: Buffer[] | undefined,
  ) {
    super({ allowHalfOpen: false, highWaterMark })
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (err?: Error | null) => void,
  ): void {
    this.log?.push(chunk)
    // Delivered on a later tick, as a socket would: no reentrant call stacks between the ends.
    process.nextTick(() => {
      const peer = this.peer
      if (!peer || peer.destroyed || peer.readableEnded) return callback(brokenPipe())
      if (peer.push(chunk)) callback()
      else peer.heldWrite = callback
    })
  }

  override _read(): void {
    this.release()
  }

  override _final(callback: (err?: Error | null) => void): void {
    process.nextTick(() => {
      this.endPeer()
      callback()
    })
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.release(brokenPipe())
    process.nextTick(() => this.endPeer())
    callback(err)
  }

  private endPeer(): void {
    const peer = this.peer
    if (peer && !peer.destroyed && !peer.readableEnded) peer.push(null)
  }

  private release(err?: Error): void {
    const held = this.heldWrite
    this.heldWrite = undefined
    held?.(err)
  }
}

/**
 * An in-memory Duplex pair for tests (like libp2p's): no sockets, real backpressure, optional
 * capture of the bytes each way.
 *
 * @example
 * const { a, b, captured } = createMemoryPair({ capture: true })
 * const initiator = createChannel(a, { role: 'initiator' })
 * const acceptor = createChannel(b, { role: 'acceptor' })
 */
export function createMemoryPair(options: MemoryPairOptions = {}): MemoryPair {
  const hwm = options.highWaterMark ?? 64 * 1024
  const captured = { aToB: [] as Buffer[], bToA: [] as Buffer[] }
  const a = new MemoryEnd(hwm, options.capture ? captured.aToB : undefined)
  const b = new MemoryEnd(hwm, options.capture ? captured.bToA : undefined)
  a.peer = b
  b.peer = a
  return { a, b, captured }
}
