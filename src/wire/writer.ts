import type { Duplex } from 'node:stream'
import type { Circuit } from './circuit.js'
import { Batch } from './batch.js'
import { encodeDataHeader, encodeFrame } from './codec.js'
import { FrameType, MAX_PAYLOAD } from './frame.js'

/** Where the payload length sits in a frame header (see frame.ts). */
const LENGTH_AT = 8

/**
 * Most bytes of control frames (CREDIT, PONG, RESET, MESSAGE...) that may wait unflushed in the
 * underlying stream. DATA is never written while it is backpressured, so only a peer that stops
 * reading while it keeps talking can fill this; past it the channel closes.
 */
export const MAX_CONTROL_BACKLOG = 1024 * 1024

/**
 * Most bytes the writer lets wait in the underlying stream before it stops pumping DATA until
 * 'drain'. Per channel, whatever its number of circuits. A TLS socket completes each write a turn
 * of the event loop later and its high-water mark (16 KiB) is below one frame, so stopping at the
 * first `write()` that returns false would send one frame per turn; this lets a turn carry
 * several, which the socket encrypts and sends in one go.
 */
export const MAX_DATA_BACKLOG = 256 * 1024

/** Callbacks from the writer to its channel. */
export interface WriterEvents {
  /** The underlying stream drained. */
  drain(): void
  /** Control frames piled up past MAX_CONTROL_BACKLOG: the peer is not reading. */
  stalled(): void
}

/**
 * The only writer of a channel's underlying stream. Control frames go out in order, with the DATA
 * around them. DATA is pumped round-robin, one frame (≤ 64 KiB, ≤ credit) per ready circuit per
 * turn, and only while less than MAX_DATA_BACKLOG is queued, so a busy circuit cannot starve the
 * others and nothing queues up without bound.
 *
 * Frames are batched: at most one write is in flight, and the frames queued meanwhile go out as
 * ONE write of whole frames when it completes; with none in flight, frames go out at once (a lone
 * request waits for nothing). For TLS, which completes a write a turn of the event loop later, a
 * stream of frames becomes about one write of full records and one system call per turn, instead
 * of a write, a record and a turn per frame. A DATA
 * payload is copied once, when it is queued, into the buffer of that write (see {@link Batch}):
 * so its circuit can complete the write at once, and TLS gets one buffer, which it does not copy
 * again (several buffers it would copy into one).
 */
export class FrameWriter {
  bytesOut = 0
  framesOut = 0
  private readonly ready = new Set<Circuit>()
  private readonly batch = new Batch()
  /** The DATA frame at the tail of the batch, which a next piece of its circuit may join. */
  private tail: { circuit: number; at: number; length: number } | undefined
  private inFlight = 0
  private blocked = false
  private pumping = false
  private closed = false

  constructor(
    private readonly duplex: Duplex,
    private readonly events: WriterEvents,
  ) {}

  /** True while more than MAX_DATA_BACKLOG waits: DATA stops until the stream takes it. */
  get backpressured(): boolean {
    return this.blocked
  }

  /** Queues a control frame. Returns false when the underlying stream is backpressured. */
  control(type: FrameType, circuit: number, payload?: Uint8Array): boolean {
    if (this.closed) return false
    this.queue(encodeFrame({ type, circuit, payload }))
    this.writeIfIdle()
    if (this.queued > MAX_CONTROL_BACKLOG) this.events.stalled()
    return !this.blocked
  }

  /** Several control frames, in order (OPEN + CREDIT, ACCEPT + CREDIT, FIN + RESET). */
  controls(frames: { type: FrameType; circuit: number; payload?: Uint8Array }[]): void {
    if (this.closed) return
    for (const f of frames) this.queue(encodeFrame(f))
    this.writeIfIdle()
  }

  /** Queues a circuit that has data and credit. */
  schedule(circuit: Circuit): void {
    if (this.closed) return
    this.ready.add(circuit)
    this.pump()
  }

  /** Drops a circuit from the queue (it was reset or closed). */
  forget(circuit: Circuit): void {
    this.ready.delete(circuit)
  }

  /** Writes what is queued (a GOAWAY, say) and stops writing for good. */
  close(): void {
    this.write()
    this.closed = true
    this.ready.clear()
  }

  /** Bytes queued here or waiting in the underlying stream. */
  private get queued(): number {
    return this.duplex.writableLength + this.batch.length
  }

  private pump(): void {
    if (this.pumping) return
    this.pumping = true
    try {
      while (!this.blocked && !this.closed && this.duplex.writable) {
        const next = this.ready.values().next()
        if (next.done) break
        const circuit = next.value
        this.ready.delete(circuit)
        const piece = circuit.takePiece()
        if (!piece) continue
        this.queueData(circuit.id, piece)
        if (this.queued >= MAX_DATA_BACKLOG) this.blocked = true
        // May call the write callback, which may queue the circuit's next chunk right here.
        circuit.pieceWritten()
        if (circuit.sendable) this.ready.add(circuit)
      }
    } finally {
      this.pumping = false
    }
    this.writeIfIdle()
  }

  private queue(buf: Buffer, frames = 1): void {
    if (!this.duplex.writable) return
    this.bytesOut += buf.length
    this.framesOut += frames
    this.batch.append(buf)
    this.tail = undefined
  }

  /**
   * Queues a DATA piece. A piece of the circuit whose DATA frame ends the batch joins that frame
   * (up to 64 KiB): a router relays pieces as they come out of 16 KiB TLS records, and without
   * this each would cost the next hop a frame, a read event and a TLS read of its own.
   */
  private queueData(circuit: number, piece: Buffer): void {
    const tail = this.tail
    if (tail?.circuit === circuit && tail.length + piece.length <= MAX_PAYLOAD) {
      if (!this.duplex.writable) return
      tail.length += piece.length
      this.batch.patchUInt32(tail.at + LENGTH_AT, tail.length)
      this.batch.append(piece)
      this.bytesOut += piece.length
      return
    }
    const at = this.batch.length
    this.queue(encodeDataHeader(circuit, piece.length))
    this.queue(piece, 0)
    this.tail = { circuit, at, length: piece.length }
  }

  /** Nothing in flight: what was just queued goes out now, with no wait on anything. */
  private writeIfIdle(): void {
    if (this.inFlight === 0) this.write()
  }

  /** Writes the batch as one buffer; the next batch waits for this write to complete. */
  private write(): void {
    if (this.closed || !this.duplex.writable) return
    const bytes = this.batch.take()
    this.tail = undefined
    if (!bytes) return
    this.inFlight++
    this.duplex.write(bytes, this.written)
  }

  private readonly written = (): void => {
    this.inFlight--
    if (this.inFlight > 0) return
    this.write()
    if (this.blocked && this.queued < MAX_DATA_BACKLOG) {
      this.blocked = false
      this.pump()
      this.events.drain()
    }
  }
}
