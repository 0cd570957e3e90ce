import { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { ZhError } from '../errors.js'
import type { Circuit } from './circuit.js'
import { Batch } from './batch.js'
import { checkHeader } from './codec.js'
import { FrameType, MAX_PAYLOAD } from './frame.js'
import { ReadyQueue } from './ready-queue.js'
import { writeSlabs, type SlabPool } from './slabs.js'

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
 * of a write, a record and a turn per frame. Headers are written straight into the batch, and a
 * DATA payload is copied once, when it is queued (see {@link Batch}): so its circuit can complete
 * the write at once, and TLS gets one buffer, which it does not copy again (several buffers it
 * would copy into one).
 *
 * Over a `net.Socket` (TLS included), which is done with a buffer once its write callback ran,
 * the batch is a pooled slab that goes back to the pool then: a steady stream of writes
 * allocates nothing. Any other Duplex may keep what it was given (an in-memory pair pushes it to
 * its peer as is), so it gets a buffer of its own per write.
 */
export class FrameWriter {
  bytesOut = 0
  framesOut = 0
  private readonly ready = new ReadyQueue<Circuit>()
  private readonly batch: Batch
  /** The batches written and not yet called back, oldest first. */
  private readonly inFlight: Buffer[] = []
  /** The DATA frame at the tail of the batch, which a next piece of its circuit may join (-1: none). */
  private tailCircuit = -1
  private tailAt = 0
  private tailLength = 0
  private blocked = false
  private pumping = false
  private closed = false

  constructor(
    private readonly duplex: Duplex,
    private readonly events: WriterEvents,
    slabs: SlabPool | undefined = duplex instanceof Socket ? writeSlabs : undefined,
  ) {
    this.batch = new Batch(slabs)
  }

  /** True while more than MAX_DATA_BACKLOG waits: DATA stops until the stream takes it. */
  get backpressured(): boolean {
    return this.blocked
  }

  /**
   * Queues a control frame. Returns false when the underlying stream is backpressured. Throws
   * ZH_WIRE_ARGUMENT_INVALID for a frame the peer's decoder would refuse.
   */
  control(type: FrameType, circuit: number, payload?: Uint8Array): boolean {
    if (this.closed) return false
    this.queueFrame(type, circuit, payload)
    this.writeIfIdle()
    if (this.queued > MAX_CONTROL_BACKLOG) this.events.stalled()
    return !this.blocked
  }

  /** Queues a CREDIT frame granting `bytes` on `circuit`. */
  credit(circuit: number, bytes: number): void {
    if (this.closed || !this.duplex.writable) return
    this.batch.header(FrameType.CREDIT, circuit, 4)
    this.batch.uint32(bytes)
    this.counted(16, 1)
    this.writeIfIdle()
    if (this.queued > MAX_CONTROL_BACKLOG) this.events.stalled()
  }

  /** Several control frames, in order (OPEN + CREDIT, ACCEPT + CREDIT, FIN + RESET). */
  controls(frames: { type: FrameType; circuit: number; payload?: Uint8Array }[]): void {
    if (this.closed) return
    for (const f of frames) this.queueFrame(f.type, f.circuit, f.payload)
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
        const circuit = this.ready.shift()
        if (!circuit) break
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

  private queueFrame(type: FrameType, circuit: number, payload: Uint8Array | undefined): void {
    const length = payload?.byteLength ?? 0
    const problem = checkHeader(type, 0, 0, circuit, length)
    if (problem) throw new ZhError('ZH_WIRE_ARGUMENT_INVALID', problem[1])
    if (!this.duplex.writable) return
    this.batch.header(type, circuit, length)
    if (payload) this.batch.append(payload)
    this.counted(12 + length, 1)
  }

  private counted(bytes: number, frames: number): void {
    this.bytesOut += bytes
    this.framesOut += frames
    this.tailCircuit = -1
  }

  /**
   * Queues a DATA piece. A piece of the circuit whose DATA frame ends the batch joins that frame
   * (up to 64 KiB): a router relays pieces as they come out of 16 KiB TLS records, and without
   * this each would cost the next hop a frame, a read event and a TLS read of its own.
   */
  private queueData(circuit: number, piece: Buffer): void {
    if (!this.duplex.writable) return
    const n = piece.length
    if (this.tailCircuit === circuit && this.tailLength + n <= MAX_PAYLOAD) {
      this.tailLength += n
      this.batch.patchUInt32(this.tailAt + LENGTH_AT, this.tailLength)
      this.batch.append(piece)
      this.bytesOut += n
      return
    }
    if (n === 0 || n > MAX_PAYLOAD) throw new ZhError('ZH_WIRE_ARGUMENT_INVALID', `DATA of ${n}`)
    const at = this.batch.header(FrameType.DATA, circuit, n)
    this.batch.append(piece)
    this.counted(12 + n, 1)
    this.tailCircuit = circuit
    this.tailAt = at
    this.tailLength = n
  }

  /** Nothing in flight: what was just queued goes out now, with no wait on anything. */
  private writeIfIdle(): void {
    if (this.inFlight.length === 0) this.write()
  }

  /** Writes the batch as one buffer; the next batch waits for this write to complete. */
  private write(): void {
    if (this.closed || !this.duplex.writable) return
    const bytes = this.batch.take()
    this.tailCircuit = -1
    if (!bytes) return
    this.inFlight.push(bytes)
    this.duplex.write(bytes, this.written)
  }

  private readonly written = (err?: Error | null): void => {
    const done = this.inFlight.shift()
    // After an error the stream may not be done with it: leave that one to the collector.
    if (done && !err) this.batch.release(done)
    if (this.inFlight.length > 0) return
    this.write()
    if (this.blocked && this.queued < MAX_DATA_BACKLOG) {
      this.blocked = false
      this.pump()
      this.events.drain()
    }
  }
}
