import type { Duplex } from 'node:stream'
import type { Circuit } from './circuit.js'
import { encodeDataHeader, encodeFrame } from './codec.js'
import { FrameType } from './frame.js'

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
 * turn, and only while less than MAX_DATA_BACKLOG waits (or the stream's own high-water mark,
 * when larger), so a busy circuit cannot starve the others and nothing queues up without bound.
 *
 * Frames queued in one tick go out as ONE write of whole frames at the end of the tick: for TLS
 * that is full records and one system call instead of a write, a record and a turn of the event
 * loop per frame. A DATA payload is copied once, into that write (TLS would copy several buffers
 * into one anyway).
 */
export class FrameWriter {
  bytesOut = 0
  framesOut = 0
  private readonly ready = new Set<Circuit>()
  private batch: Buffer[] = []
  private batchBytes = 0
  private flushing = false
  private blocked = false
  private pumping = false
  private closed = false

  constructor(
    private readonly duplex: Duplex,
    private readonly events: WriterEvents,
  ) {
    duplex.on('drain', this.onDrain)
  }

  /** True while the underlying stream asks us to wait for 'drain'. */
  get backpressured(): boolean {
    return this.blocked
  }

  /** Queues a control frame. Returns false when the underlying stream is backpressured. */
  control(type: FrameType, circuit: number, payload?: Uint8Array): boolean {
    if (this.closed) return false
    this.queue(encodeFrame({ type, circuit, payload }))
    if (this.queued > MAX_CONTROL_BACKLOG) this.events.stalled()
    return !this.blocked
  }

  /** Several control frames, in order (OPEN + CREDIT, ACCEPT + CREDIT, FIN + RESET). */
  controls(frames: { type: FrameType; circuit: number; payload?: Uint8Array }[]): void {
    if (this.closed) return
    for (const f of frames) this.queue(encodeFrame(f))
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
    this.flush()
    this.closed = true
    this.ready.clear()
    this.duplex.off('drain', this.onDrain)
  }

  /** Bytes queued here or waiting in the underlying stream. */
  private get queued(): number {
    return this.duplex.writableLength + this.batchBytes
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
        this.queue(encodeDataHeader(circuit.id, piece.length))
        this.queue(piece, 0)
        if (this.queued >= MAX_DATA_BACKLOG) this.blocked = true
        // May call the write callback, which may queue the circuit's next chunk right here.
        circuit.pieceWritten()
        if (circuit.sendable) this.ready.add(circuit)
      }
    } finally {
      this.pumping = false
    }
  }

  private queue(buf: Buffer, frames = 1): void {
    if (!this.duplex.writable) return
    this.bytesOut += buf.length
    this.framesOut += frames
    this.batch.push(buf)
    this.batchBytes += buf.length
    if (!this.flushing) {
      this.flushing = true
      process.nextTick(this.flush)
    }
  }

  private readonly flush = (): void => {
    this.flushing = false
    if (this.batchBytes === 0 || this.closed) return
    const batch = this.batch
    const bytes = this.batch.length === 1 ? batch[0]! : Buffer.concat(batch, this.batchBytes)
    this.batch = []
    this.batchBytes = 0
    if (!this.duplex.writable) return
    // Past its high-water mark `write()` returns false and 'drain' follows once the stream is
    // empty; below MAX_DATA_BACKLOG we need not wait for it. A stream with a higher mark than
    // ours says false only past its own, so 'drain' always comes when we wait for it.
    const ok = this.duplex.write(bytes)
    const wasBlocked = this.blocked
    this.blocked = !ok && this.duplex.writableLength >= MAX_DATA_BACKLOG
    if (wasBlocked && !this.blocked) this.onDrain()
  }

  private readonly onDrain = (): void => {
    this.blocked = false
    this.pump()
    this.events.drain()
  }
}
