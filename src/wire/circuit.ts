import { ZhError } from '../errors.js'
import { MAX_CREDIT, ReceiveWindow } from './flow.js'
import { ownPayload } from './codec.js'
import { MAX_PAYLOAD } from './frame.js'
import { RelayQueue } from './relay-queue.js'
import { SocketLike } from './socket-like.js'
import { isReasonCode, reasonError, reasonOf, type Reason } from './payloads.js'

/** What a circuit needs from its channel. */
export interface CircuitLink {
  /** The circuit has data to send and credit to send it: schedule it. */
  ready(circuit: Circuit): void
  sendFin(circuit: Circuit): void
  sendCredit(circuit: Circuit, bytes: number): void
  sendReset(circuit: Circuit, reason: Reason): void
  /** The circuit needs no more frames: forget its id. */
  release(circuit: Circuit): void
}

/** Where a circuit is in its life: we sent OPEN, the peer sent OPEN, or both sides have it. */
export type CircuitPhase = 'opening' | 'offered' | 'open'

/** The RESET code of a circuit closed without an error (like a TCP close). */
export const CLOSED_CODE = 'ZH_WIRE_CIRCUIT_CLOSED'

interface PendingWrite {
  chunk: Buffer
  offset: number
  callback: (err?: Error | null) => void
}

/**
 * One circuit of a channel: a `stream.Duplex` that behaves like a socket, so TLS can run over
 * it and `http.Server.emit('connection', circuit)` accepts it.
 *
 * - `end()` sends FIN (half-close: the other direction keeps flowing).
 * - `reset(code, message)` or `destroy(err)` sends RESET; a RESET from the peer destroys the
 *   circuit with a ZhError carrying the peer's code (ZH_WIRE_CIRCUIT_RESET for a foreign one).
 * - `destroy()` without an error closes like a TCP socket: FIN if nothing is left unsent, and
 *   the peer's own direction is stopped without an error when it has nothing left to send.
 * - Writes wait for the peer's credit (backpressure through the write callback); credit goes
 *   back as the application reads, so unread bytes held here never exceed the window (counted
 *   in bytes: with `setEncoding()` the count is approximate).
 * - Errors caused by the peer are emitted on a later turn of the event loop, so the caller of
 *   `open()` can always attach its 'error' listener first.
 *
 * @example
 * const { circuit } = await channel.open(meta)
 * circuit.end('hello')
 * for await (const chunk of circuit) console.log(chunk)
 */
export class Circuit extends SocketLike {
  /** Circuit id: odd when the initiator opened it, even when the acceptor did. */
  readonly id: number
  /** @internal Maintained by the channel. */
  phase: CircuitPhase
  private readonly window: ReceiveWindow
  private readonly link: CircuitLink
  private credit = 0
  private pending: PendingWrite | undefined
  private pushed = 0
  private written = 0
  private finSent = false
  private finReceived = false
  private detached = false
  /** Spliced: where our peer's DATA goes, and the tap that sees it on the way. */
  private relay: { to: Circuit; tap: (chunk: Buffer) => void } | undefined
  /** Spliced: our peer's bytes that have left for the partner's peer (or were dropped). */
  private relayDone = 0
  /** Spliced: bytes from the partner for our peer, and the partner that sent them. */
  private relayOut: { queue: RelayQueue; from: Circuit } | undefined
  private endAfterRelay = false

  /** @internal Circuits are made by a channel. */
  constructor(id: number, window: number, link: CircuitLink, phase: CircuitPhase) {
    super({ allowHalfOpen: true })
    this.id = id
    this.window = new ReceiveWindow(window)
    this.link = link
    this.phase = phase
  }

  /** Payload bytes received from the peer. */
  get bytesRead(): number {
    return this.pushed
  }

  /** Payload bytes handed to the channel for the peer. */
  get bytesWritten(): number {
    return this.written
  }

  /** Aborts the circuit both ways with a code the peer sees (`A-Z0-9_`, e.g. `ZH_GRANT_EXPIRED`). */
  reset(code: string, message = ''): void {
    if (this.destroyed) return
    if (!isReasonCode(code)) throw new ZhError('ZH_WIRE_ARGUMENT_INVALID', `reset code ${code}`)
    if (!this.detached) this.link.sendReset(this, { code, message })
    this.detach()
    this.destroy()
  }

  /** Returns credit as the application consumes: every read path (flowing, paused, async iteration) goes through read(). */
  override read(size?: number): unknown {
    const out: unknown = super.read(size)
    this.creditConsumed()
    return out
  }

  override _read(): void {
    // Data is pushed as it arrives (bounded by the window); consumption is tracked in read().
  }

  override _write(
    chunk: Buffer,
    _encoding: BufferEncoding,
    callback: (err?: Error | null) => void,
  ): void {
    if (this.detached)
      return callback(new ZhError('ZH_WIRE_CIRCUIT_CLOSED', 'write after the peer left'))
    if (chunk.length === 0) return callback()
    this.pending = { chunk, offset: 0, callback }
    this.touch()
    if (this.credit > 0) this.link.ready(this)
  }

  override _final(callback: (err?: Error | null) => void): void {
    if (!this.detached) this.link.sendFin(this)
    this.finSent = true
    if (this.finReceived) this.detach()
    callback()
  }

  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    this.setTimeout(0)
    const unsent = this.hasOutgoing || this.writableLength > 0
    this.relayOut?.queue.clear()
    if (!this.detached) {
      if (err) {
        this.link.sendReset(this, reasonOf(err, 'ZH_WIRE_CIRCUIT_RESET'))
      } else if (!(this.finSent && this.finReceived)) {
        if (!this.finSent && !unsent) this.link.sendFin(this)
        if (!this.finReceived || unsent)
          this.link.sendReset(this, { code: CLOSED_CODE, message: '' })
      }
      this.detach()
    }
    const pending = this.pending
    this.pending = undefined
    pending?.callback(err ?? new ZhError('ZH_WIRE_CIRCUIT_CLOSED', 'destroyed before sent'))
    callback(err)
  }

  /** @internal True when the writer can take a piece now. */
  get sendable(): boolean {
    return this.hasOutgoing && this.credit > 0 && !this.detached
  }

  /** @internal Bytes relayed from the partner that wait here for credit (spliced circuits). */
  get relayQueued(): number {
    return this.relayOut?.queue.bytes ?? 0
  }

  /**
   * @internal Splices this circuit to `to`, for a router: the DATA our peer sends goes straight
   * to `to`'s peer, through `tap`, without the stream machinery in between. Credit goes back to
   * our peer only as those bytes leave for `to`'s peer, so what is held here never exceeds our
   * window. Bytes already buffered are moved over first. Nothing may be written to `to` after
   * this but its end (`endRelayed`).
   */
  splice(to: Circuit, tap: (chunk: Buffer) => void): void {
    this.relayDone = this.pushed - this.readableLength
    this.relay = { to, tap }
    let chunk: unknown
    while ((chunk = super.read()) !== null) {
      tap(chunk as Buffer)
      to.relayIn(chunk as Buffer, this)
    }
    // Only the end is still pushed; flowing, the readable side ends as soon as the FIN comes.
    this.resume()
  }

  /** @internal Ends the writable side once every relayed byte has been handed to the writer. */
  endRelayed(): void {
    if (this.destroyed || this.writableEnded) return
    if (this.relayQueued > 0) this.endAfterRelay = true
    else this.end()
  }

  /** @internal The next DATA payload: at most the credit and 64 KiB. */
  takePiece(): Buffer | undefined {
    const p = this.pending
    if (!p) return this.takeRelayed()
    if (this.credit <= 0 || this.detached) return undefined
    const n = Math.min(this.credit, MAX_PAYLOAD, p.chunk.length - p.offset)
    const piece = p.chunk.subarray(p.offset, p.offset + n)
    p.offset += n
    this.credit -= n
    this.written += n
    return piece
  }

  /** @internal The piece went out: complete the write once the whole chunk has. */
  pieceWritten(): void {
    const p = this.pending
    if (p && p.offset >= p.chunk.length) {
      this.pending = undefined
      p.callback()
    }
    if (this.endAfterRelay && this.relayQueued === 0) {
      this.endAfterRelay = false
      this.end()
    }
  }

  /**
   * @internal DATA from the peer, a view of the chunk it came in. Throws a ZhError for a protocol
   * violation.
   */
  onData(payload: Buffer): void {
    if (this.phase !== 'open')
      throw new ZhError('ZH_WIRE_PROTOCOL', `DATA before ACCEPT on ${this.id}`)
    if (this.finReceived) throw new ZhError('ZH_WIRE_PROTOCOL', `DATA after FIN on ${this.id}`)
    if (!this.window.receive(payload.length)) {
      throw new ZhError('ZH_WIRE_FLOW_CONTROL', `DATA over the window on ${this.id}`)
    }
    this.pushed += payload.length
    this.touch()
    if (this.relay) {
      this.relay.tap(payload)
      return this.relay.to.relayIn(payload, this)
    }
    this.push(ownPayload(payload))
    this.creditConsumed()
  }

  /** @internal CREDIT from the peer. */
  onCredit(bytes: number): void {
    if (this.credit + bytes > MAX_CREDIT) {
      throw new ZhError('ZH_WIRE_FLOW_CONTROL', `credit overflow on ${this.id}`)
    }
    this.credit += bytes
    if (this.hasOutgoing) this.link.ready(this)
  }

  /** @internal FIN from the peer. */
  onFin(): void {
    if (this.phase !== 'open')
      throw new ZhError('ZH_WIRE_PROTOCOL', `FIN before ACCEPT on ${this.id}`)
    if (this.finReceived) throw new ZhError('ZH_WIRE_PROTOCOL', `second FIN on ${this.id}`)
    this.finReceived = true
    this.push(null)
    if (this.finSent) this.detach()
  }

  /** @internal RESET from the peer: it has forgotten the circuit. */
  onReset(reason: Reason): void {
    this.detach()
    if (this.phase !== 'open') return void this.destroy()
    if (reason.code === CLOSED_CODE) this.closeQuietly(reasonError(reason, 'ZH_WIRE_CIRCUIT_RESET'))
    else this.destroySoon(reasonError(reason, 'ZH_WIRE_CIRCUIT_RESET'))
  }

  /**
   * @internal The channel is gone. A circuit with only reading left finishes quietly; any other
   * is destroyed with `err`, or without an error when the channel closed normally.
   */
  terminate(err: ZhError | undefined): void {
    this.detach()
    if (this.phase !== 'open') this.destroy()
    else this.closeQuietly(err)
  }

  /** A peer that left after its FIN, with nothing of ours unsent, is a normal end (unread data stays readable). */
  private closeQuietly(err: ZhError | undefined): void {
    if (this.destroyed) return
    const unsent = this.hasOutgoing || this.writableLength > 0
    if (!this.finReceived || unsent) return this.destroySoon(err)
    if (!this.writableEnded) this.end()
  }

  /**
   * Destroys with an error the peer caused on the next turn of the event loop, not now: a caller
   * awaiting open() (ACCEPT and RESET can arrive in one chunk) must get to attach its 'error'
   * listener first. The circuit is already detached, so nothing more arrives meanwhile.
   */
  private destroySoon(err: ZhError | undefined): void {
    if (!err) return void this.destroy()
    setImmediate(() => this.destroy(err))
  }

  /** A piece of what the partner relayed, within our credit; the partner gets credit back. */
  private takeRelayed(): Buffer | undefined {
    const out = this.relayOut
    if (!out || this.credit <= 0 || this.detached) return undefined
    const piece = out.queue.take(Math.min(this.credit, MAX_PAYLOAD))
    if (!piece) return undefined
    this.credit -= piece.length
    this.written += piece.length
    out.from.relayLeft(piece.length)
    return piece
  }

  /** Bytes from the spliced partner for our peer; dropped (and credited) once we are gone. */
  private relayIn(chunk: Buffer, from: Circuit): void {
    if (this.detached || this.destroyed || this.writableEnded) return from.relayLeft(chunk.length)
    this.relayOut ??= { queue: new RelayQueue(), from }
    const queue = this.relayOut.queue
    queue.push(chunk)
    this.touch()
    if (this.credit > 0) this.link.ready(this)
    // Usually the writer copied it out just now; what must wait should not pin a large chunk.
    queue.settle()
  }

  /** `bytes` our peer sent have left this router: credit them back. */
  private relayLeft(bytes: number): void {
    this.relayDone += bytes
    if (this.detached || this.finReceived) return
    const grant = this.window.consumed(this.relayDone)
    if (grant > 0) this.link.sendCredit(this, grant)
  }

  private get hasOutgoing(): boolean {
    return this.pending !== undefined || this.relayQueued > 0
  }

  private creditConsumed(): void {
    if (this.relay || this.detached || this.finReceived) return
    const grant = this.window.consumed(this.pushed - this.readableLength)
    if (grant > 0) this.link.sendCredit(this, grant)
  }

  private detach(): void {
    if (this.detached) return
    this.detached = true
    this.link.release(this)
  }

  /** @internal The window's initial grant, sent with OPEN or ACCEPT. */
  get initialCredit(): number {
    return this.window.initialCredit
  }
}
