import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import { isZhError, ZhError } from '../errors.js'
import type { ChannelRole } from './circuit-ids.js'
import { CircuitTable, type OpenedCircuit } from './circuit-table.js'
import { FrameDecoder } from './codec.js'
import { FrameType, MAX_META, MAX_PAYLOAD } from './frame.js'
import { startKeepalive } from './keepalive.js'
import { channelOptions, type ChannelOptions } from './options.js'
import {
  decodeCredit,
  decodeReason,
  encodeReason,
  isReasonCode,
  reasonError,
  type Reason,
} from './payloads.js'
import type { PendingCircuit } from './pending.js'
import { FrameWriter } from './writer.js'

/** Byte and frame counters of a channel (underlying stream bytes, headers included). */
export interface ChannelStats {
  bytesIn: number
  bytesOut: number
  framesIn: number
  framesOut: number
}

/** Events of a {@link Channel}. */
export interface ChannelEvents {
  /** The peer opens a circuit: accept or reject it (without a listener it is refused). */
  circuit: [pending: PendingCircuit]
  /** A channel-level MESSAGE from the peer. */
  message: [message: Uint8Array]
  /** The underlying stream drained after `send()` returned false. */
  drain: []
  /** The channel is closed; `err` says why unless it was a normal close by either end. */
  close: [err?: ZhError]
}

/** Our PINGs carry zeros; the peer's PONG echoes whatever it got. */
const PING_PAYLOAD = Buffer.alloc(8)

/** How long a closed channel waits for the peer to end the connection before destroying it. */
const CLOSE_GRACE_MS = 1000

/**
 * A multiplexed channel over any Duplex (a TLS socket, an in-memory pair): many circuits, each
 * with its own credit-based flow control, plus channel messages and keepalive. Bad input from the
 * peer closes this channel with a ZH_WIRE_* code and never throws.
 *
 * @example
 * const channel = createChannel(tlsSocket, { role: 'initiator' })
 * const { circuit, acceptMeta } = await channel.open(Buffer.from('dial jenkins'))
 * circuit.end('hello')
 */
export function createChannel(duplex: Duplex, options: ChannelOptions): Channel {
  return new Channel(duplex, options)
}

/** See {@link createChannel}. */
export class Channel extends EventEmitter<ChannelEvents> {
  readonly role: ChannelRole
  private readonly table: CircuitTable
  private readonly decoder = new FrameDecoder()
  private readonly writer: FrameWriter
  private readonly stopKeepalive: () => void
  private received = 0
  private bytesIn = 0
  private framesIn = 0
  private isClosed = false
  private closeError: ZhError | undefined
  private graceTimer: ReturnType<typeof setTimeout> | undefined

  /** Use {@link createChannel}. */
  constructor(
    private readonly duplex: Duplex,
    options: ChannelOptions,
  ) {
    super()
    const o = channelOptions(options)
    this.role = o.role
    this.writer = new FrameWriter(duplex, {
      drain: () => this.emit('drain'),
      stalled: () => process.nextTick(() => this.fail(new ZhError('ZH_WIRE_PEER_NOT_READING'))),
    })
    this.table = new CircuitTable(this.writer, o)
    const socket = duplex as Duplex & { setNoDelay?: (noDelay: boolean) => unknown }
    if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true)
    duplex.on('data', this.onData)
    duplex.on('end', this.onEnd)
    duplex.on('error', this.onError)
    duplex.on('close', this.onUnderlyingClose)
    this.stopKeepalive = startKeepalive({
      intervalMs: o.keepaliveMs,
      timeoutMs: o.keepaliveTimeoutMs,
      received: () => this.received,
      ping: () => this.writer.control(FrameType.PING, 0, PING_PAYLOAD),
      timedOut: () =>
        this.fail(
          new ZhError(
            'ZH_WIRE_KEEPALIVE_TIMEOUT',
            `no frame for ${o.keepaliveTimeoutMs} ms after a PING`,
          ),
        ),
    })
  }

  /** Live circuits, both directions, including ones still being opened or accepted. */
  get circuits(): number {
    return this.table.size
  }

  /** True once the channel is closed, by either end or by an error. */
  get closed(): boolean {
    return this.isClosed
  }

  /** Byte and frame counters. */
  get stats(): ChannelStats {
    const { bytesIn, framesIn } = this
    return { bytesIn, framesIn, bytesOut: this.writer.bytesOut, framesOut: this.writer.framesOut }
  }

  /**
   * Opens a circuit carrying `meta` (≤ 16 KiB). Resolves when the peer accepts; rejects with the
   * peer's RESET code when it refuses, ZH_WIRE_TOO_MANY_CIRCUITS at the local limit, the channel's
   * error when it closes first, or the signal's reason when aborted.
   */
  open(meta: Uint8Array, options: { signal?: AbortSignal } = {}): Promise<OpenedCircuit> {
    if (this.isClosed) return Promise.reject(this.closedError())
    if (meta.byteLength > MAX_META) {
      const detail = `OPEN metadata of ${meta.byteLength} bytes`
      return Promise.reject(new ZhError('ZH_WIRE_ARGUMENT_INVALID', detail))
    }
    return this.table.open(meta, options.signal)
  }

  /**
   * Sends a channel-level message (≤ 64 KiB). Returns false when the underlying stream is
   * backpressured: wait for 'drain' before sending much more. Throws ZH_WIRE_CHANNEL_CLOSED once
   * closed.
   */
  send(message: Uint8Array): boolean {
    if (this.isClosed) throw this.closedError()
    if (message.byteLength > MAX_PAYLOAD) {
      throw new ZhError('ZH_WIRE_ARGUMENT_INVALID', `message of ${message.byteLength} bytes`)
    }
    return this.writer.control(FrameType.MESSAGE, 0, message)
  }

  /**
   * Closes the channel: GOAWAY (with `code` when the close is abnormal), then the end of the
   * underlying stream. Circuits still open are destroyed with a ZhError of `code`, or without an
   * error when there is none (as an HTTP/2 session destroy does); a circuit with only buffered
   * data left to read keeps it and ends normally. The peer sees the same.
   */
  close(code?: string, message = ''): void {
    if (code !== undefined && !isReasonCode(code)) {
      throw new ZhError('ZH_WIRE_ARGUMENT_INVALID', `close code ${code}`)
    }
    const err =
      code === undefined ? undefined : reasonError({ code, message }, 'ZH_WIRE_CHANNEL_CLOSED')
    this.shutdown(err, { code: code ?? '', message })
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.isClosed) return
    this.received++
    this.bytesIn += chunk.length
    try {
      this.decoder.decode(chunk, this.onFrame)
    } catch (err) {
      const protocol = isZhError(err) && err.code.startsWith('ZH_WIRE_')
      if (protocol && err.code !== 'ZH_WIRE_ARGUMENT_INVALID') return this.fail(err)
      // Not bad input but a listener of ours (circuit 'data', 'end') that threw: surface it as
      // Node would, after leaving this channel in a clean, closed state.
      this.fail(new ZhError('ZH_INTERNAL', 'a circuit listener threw', { cause: err }))
      process.nextTick(() => {
        throw err
      })
    }
  }

  /** One frame from the decoder; once the channel closed, the rest of the chunk is dropped. */
  private readonly onFrame = (type: FrameType, id: number, payload: Buffer): void => {
    if (this.isClosed) return
    this.framesIn++
    switch (type) {
      case FrameType.OPEN:
        return this.onOpen(id, payload)
      case FrameType.ACCEPT:
        return this.table.accepted(id, payload)
      case FrameType.DATA:
        return this.table.lookup(id)?.onData(payload)
      case FrameType.CREDIT: {
        const bytes = decodeCredit(payload)
        return this.table.lookup(id)?.onCredit(bytes)
      }
      case FrameType.FIN:
        return this.table.lookup(id)?.onFin()
      case FrameType.RESET:
        return this.table.reset(id, decodeReason(payload))
      case FrameType.PING:
        return void this.writer.control(FrameType.PONG, 0, payload)
      case FrameType.PONG:
        return
      case FrameType.MESSAGE:
        return deliver(() => this.emit('message', payload))
      case FrameType.GOAWAY: {
        const reason = decodeReason(payload, true)
        const err = reason.code === '' ? undefined : reasonError(reason, 'ZH_WIRE_CHANNEL_CLOSED')
        return this.shutdown(err, undefined)
      }
    }
  }

  private onOpen(id: number, meta: Buffer): void {
    const listening = this.listenerCount('circuit') > 0
    const pending = this.table.offer(id, meta, listening, () =>
      this.isClosed ? this.closedError() : undefined,
    )
    if (!pending) return
    deliver(
      () => this.emit('circuit', pending),
      () => !pending.decided && pending.reject('ZH_INTERNAL'),
    )
  }

  private fail(err: ZhError): void {
    this.shutdown(err, { code: err.code, message: err.detail ?? '' })
  }

  private shutdown(err: ZhError | undefined, goaway: Reason | undefined): void {
    if (this.isClosed) return
    this.isClosed = true
    this.closeError = err
    this.stopKeepalive()
    if (goaway)
      this.writer.control(FrameType.GOAWAY, 0, encodeReason(goaway.code, goaway.message, true))
    this.writer.close()
    this.table.closeAll(err)
    if (!this.duplex.destroyed) {
      this.duplex.end()
      this.graceTimer = setTimeout(() => this.duplex.destroy(), CLOSE_GRACE_MS).unref()
    }
    process.nextTick(() => this.emit('close', err))
  }

  private closedError(): ZhError {
    return this.closeError ?? new ZhError('ZH_WIRE_CHANNEL_CLOSED')
  }

  private readonly onEnd = (): void => {
    this.shutdown(
      new ZhError('ZH_WIRE_CHANNEL_CLOSED', 'the peer ended the connection without GOAWAY'),
      undefined,
    )
  }

  private readonly onError = (err: Error): void => {
    this.shutdown(new ZhError('ZH_WIRE_CHANNEL_CLOSED', err.message, { cause: err }), undefined)
  }

  private readonly onUnderlyingClose = (): void => {
    if (this.graceTimer) clearTimeout(this.graceTimer)
    this.shutdown(new ZhError('ZH_WIRE_CHANNEL_CLOSED', 'the connection closed'), undefined)
  }
}

/** Runs an application listener; if it throws, the error surfaces as Node would, but after our state is consistent. */
function deliver(emit: () => void, onThrow?: () => void): void {
  try {
    emit()
  } catch (err) {
    onThrow?.()
    process.nextTick(() => {
      throw err
    })
  }
}
