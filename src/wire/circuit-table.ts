import { ZhError } from '../errors.js'
import { Circuit, CLOSED_CODE, type CircuitLink } from './circuit.js'
import { CircuitIds, type ChannelRole } from './circuit-ids.js'
import { FrameType } from './frame.js'
import { encodeCredit, encodeReason, reasonError, type Reason } from './payloads.js'
import { offerCircuit, type PendingCircuit } from './pending.js'
import type { FrameWriter } from './writer.js'

/** A circuit we opened, with the metadata the peer accepted it with. */
export interface OpenedCircuit {
  circuit: Circuit
  acceptMeta: Uint8Array
}

interface Waiter {
  resolve(opened: OpenedCircuit): void
  reject(err: Error): void
}

/**
 * The circuits of one channel: ids, the open/accept handshake both ways, the limit, and lookup
 * of incoming frames (a frame for a closed circuit is a race and ignored; for an id never used it
 * is a protocol error).
 */
export class CircuitTable {
  private readonly live = new Map<number, Circuit>()
  private readonly waiters = new Map<number, Waiter>()
  private readonly ids: CircuitIds

  constructor(
    private readonly writer: FrameWriter,
    private readonly limits: { role: ChannelRole; window: number; maxCircuits: number },
  ) {
    this.ids = new CircuitIds(limits.role)
  }

  /** Live circuits, including ones being opened or offered. */
  get size(): number {
    return this.live.size
  }

  /** Sends OPEN + the initial CREDIT; settles on ACCEPT, RESET, abort or close. */
  open(meta: Uint8Array, signal: AbortSignal | undefined): Promise<OpenedCircuit> {
    if (signal?.aborted) return Promise.reject(abortReason(signal))
    const id = this.live.size < this.limits.maxCircuits ? this.ids.allocate() : undefined
    if (id === undefined) {
      return Promise.reject(new ZhError('ZH_WIRE_TOO_MANY_CIRCUITS', 'local limit'))
    }
    const circuit = this.add(id, 'opening')
    return new Promise<OpenedCircuit>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(id)
        circuit.reset(CLOSED_CODE, 'open aborted')
        reject(abortReason(signal))
      }
      signal?.addEventListener('abort', onAbort, { once: true })
      const done = (): void => signal?.removeEventListener('abort', onAbort)
      this.waiters.set(id, {
        resolve: (opened) => (done(), resolve(opened)),
        reject: (err) => (done(), reject(err)),
      })
      this.writer.controls([
        { type: FrameType.OPEN, circuit: id, payload: meta },
        { type: FrameType.CREDIT, circuit: id, payload: encodeCredit(circuit.initialCredit) },
      ])
    })
  }

  /**
   * A peer's OPEN: checks the id (protocol error when reused or of our parity), then refuses with
   * RESET at the limit or without a listener, else returns the pending circuit for the app.
   */
  offer(
    id: number,
    meta: Buffer,
    listening: boolean,
    closed: () => ZhError | undefined,
  ): PendingCircuit | undefined {
    this.ids.acceptPeer(id)
    const refuse =
      this.live.size >= this.limits.maxCircuits
        ? 'ZH_WIRE_TOO_MANY_CIRCUITS'
        : listening
          ? undefined
          : 'ZH_WIRE_CIRCUIT_REFUSED'
    if (refuse) {
      this.writer.control(FrameType.RESET, id, encodeReason(refuse))
      return undefined
    }
    const circuit = this.add(id, 'offered')
    return offerCircuit(circuit, meta, (acceptMeta) => {
      if (circuit.destroyed) {
        throw closed() ?? new ZhError('ZH_WIRE_CIRCUIT_RESET', 'the peer gave up before the accept')
      }
      circuit.phase = 'open'
      this.writer.controls([
        { type: FrameType.ACCEPT, circuit: id, payload: acceptMeta },
        { type: FrameType.CREDIT, circuit: id, payload: encodeCredit(circuit.initialCredit) },
      ])
    })
  }

  /** The live circuit `id`; undefined for a closed one; a protocol error for one never opened. */
  lookup(id: number): Circuit | undefined {
    const circuit = this.live.get(id)
    if (circuit || this.ids.wasUsed(id)) return circuit
    throw new ZhError('ZH_WIRE_PROTOCOL', `frame for circuit ${id}, never opened`)
  }

  /** The peer's ACCEPT of a circuit we are opening. */
  accepted(id: number, meta: Buffer): void {
    const circuit = this.lookup(id)
    if (!circuit) return
    if (circuit.phase !== 'opening') {
      throw new ZhError('ZH_WIRE_PROTOCOL', `ACCEPT for circuit ${id}, not being opened`)
    }
    circuit.phase = 'open'
    this.settle(id)?.resolve({ circuit, acceptMeta: meta })
  }

  /** The peer's RESET: rejects a pending open() with the peer's code, or ends the circuit. */
  reset(id: number, reason: Reason): void {
    const circuit = this.lookup(id)
    if (!circuit) return
    this.settle(id)?.reject(reasonError(reason, 'ZH_WIRE_CIRCUIT_RESET'))
    circuit.onReset(reason)
  }

  /**
   * The channel closed: every pending open() rejects with `err` (or ZH_WIRE_CHANNEL_CLOSED) and
   * every circuit ends, with `err` when the close was abnormal.
   */
  closeAll(err: ZhError | undefined): void {
    const rejection = err ?? new ZhError('ZH_WIRE_CHANNEL_CLOSED')
    for (const waiter of this.waiters.values()) waiter.reject(rejection)
    this.waiters.clear()
    for (const circuit of [...this.live.values()]) circuit.terminate(err)
    this.live.clear()
  }

  private readonly link: CircuitLink = {
    ready: (c) => this.writer.schedule(c),
    sendFin: (c) => void this.writer.control(FrameType.FIN, c.id),
    sendCredit: (c, bytes) => this.writer.credit(c.id, bytes),
    sendReset: (c, r) =>
      void this.writer.control(FrameType.RESET, c.id, encodeReason(r.code, r.message)),
    release: (c) => {
      if (this.live.get(c.id) === c) this.live.delete(c.id)
      this.writer.forget(c)
    },
  }

  private add(id: number, phase: 'opening' | 'offered'): Circuit {
    const circuit = new Circuit(id, this.limits.window, this.link, phase)
    this.live.set(id, circuit)
    return circuit
  }

  private settle(id: number): Waiter | undefined {
    const waiter = this.waiters.get(id)
    this.waiters.delete(id)
    return waiter
  }
}

/** Why an aborted open() failed: the signal's reason when it is an Error (AbortSignal.timeout's is). */
function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason
  return reason instanceof Error ? reason : new ZhError('ZH_WIRE_CIRCUIT_CLOSED', 'open() aborted')
}
