import type { Duplex } from 'node:stream'
import type { Circuit } from './circuit.js'
import { encodeFrame } from './codec.js'
import { FrameType } from './frame.js'

/**
 * Most bytes of control frames (CREDIT, PONG, RESET, MESSAGE...) that may wait unflushed in the
 * underlying stream. DATA is never written while it is backpressured, so only a peer that stops
 * reading while it keeps talking can fill this; past it the channel closes.
 */
export const MAX_CONTROL_BACKLOG = 1024 * 1024

/** Callbacks from the writer to its channel. */
export interface WriterEvents {
  /** The underlying stream drained. */
  drain(): void
  /** Control frames piled up past MAX_CONTROL_BACKLOG: the peer is not reading. */
  stalled(): void
}

/**
 * The only writer of a channel's underlying stream. Control frames go out at once, in order.
 * DATA is pumped round-robin, one frame (≤ 64 KiB, ≤ credit) per ready circuit per turn, and only
 * while `write()` has not returned false, so a busy circuit cannot starve the others and nothing
 * queues up without bound.
 */
export class FrameWriter {
  bytesOut = 0
  framesOut = 0
  private readonly ready = new Set<Circuit>()
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

  /** Writes a control frame now. Returns false when the underlying stream is backpressured. */
  control(type: FrameType, circuit: number, payload?: Uint8Array): boolean {
    if (this.closed) return false
    this.write(encodeFrame({ type, circuit, payload }))
    if (this.duplex.writableLength > MAX_CONTROL_BACKLOG) this.events.stalled()
    return !this.blocked
  }

  /** Several control frames as one write (OPEN + CREDIT, ACCEPT + CREDIT, FIN + RESET). */
  controls(frames: { type: FrameType; circuit: number; payload?: Uint8Array }[]): void {
    if (this.closed) return
    this.write(Buffer.concat(frames.map((f) => encodeFrame(f))), frames.length)
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

  /** Stops writing for good. */
  close(): void {
    this.closed = true
    this.ready.clear()
    this.duplex.off('drain', this.onDrain)
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
        this.write(encodeFrame({ type: FrameType.DATA, circuit: circuit.id, payload: piece }))
        // May call the write callback, which may queue the circuit's next chunk right here.
        circuit.pieceWritten()
        if (circuit.sendable) this.ready.add(circuit)
      }
    } finally {
      this.pumping = false
    }
  }

  private write(buf: Buffer, frames = 1): void {
    if (!this.duplex.writable) return
    this.bytesOut += buf.length
    this.framesOut += frames
    if (!this.duplex.write(buf)) this.blocked = true
  }

  private readonly onDrain = (): void => {
    this.blocked = false
    this.pump()
    this.events.drain()
  }
}
