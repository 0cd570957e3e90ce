import { Duplex } from 'node:stream'
import { ZhError } from '../../../errors.js'
import { relayedBytes } from '../../../wire/young-gc.js'
import type { E2ePeer } from '../types.js'
import type { RecordKeys } from './keys.js'
import { Opener, type OpenSink } from './open.js'
import { Sealer } from './seal.js'

/** How long a `destroy()` waits for the end record to leave before it resets the circuit. */
const CLOSE_GRACE_MS = 2_000
/** Plaintext buffered for the reader, and accepted from the writer, before either waits. */
const HIGH_WATER_MARK = 64 * 1024

const noop = () => {}

/**
 * An end-to-end connection once the handshake is through (DESIGN §5): a socket-like Duplex
 * whose bytes are sealed into records (see format.ts) straight onto the circuit, with the
 * identity the peer proved as `peerIdentity`. It is what `zh.dial` returns and `zh.listen`
 * emits, and it goes to `http.Server.emit('connection')`, an undici Dispatcher or an
 * `http.Agent` as it is (`setTimeout` is a real idle timeout, the other socket calls no-ops).
 *
 * - Writes become records, many small writes gathered while the circuit is busy become one
 *   circuit write; the write callback waits for the circuit, so its flow control (per-circuit
 *   credit) is the writer's backpressure. A reader that stops pauses the circuit, which stops
 *   granting credit.
 * - `end()` sends the END record and the circuit's FIN; the other direction keeps flowing.
 *   The peer's END is the only clean end: a circuit that ends without it, or inside a record,
 *   is ZH_E2E_TRUNCATED.
 * - Any failure resets the circuit with a `ZH_E2E_*` code: ZH_E2E_RECORD_INVALID,
 *   ZH_E2E_RECORD_MALFORMED, ZH_E2E_TRUNCATED; an overlay reset arrives as its own `ZH_*` error.
 *   A socket nobody listens to for errors (an idle pooled connection) closes without one
 *   instead of crashing the process.
 * - `destroy()` without an error closes like a TCP socket: when everything written has gone to
 *   the circuit, the END record follows it (the peer sees a clean end); otherwise the circuit is
 *   reset. With an error the circuit is reset with the error's code.
 *
 * @example
 * ```ts
 * const socket = await zh.dial('jenkins-webhook')
 * console.log(socket.peerIdentity.identityId)
 * socket.end('hello')
 * ```
 */
export class E2eSocket extends Duplex {
  /** The other endpoint, as its certificate and its grant proved it. */
  readonly peerIdentity: E2ePeer
  /** The connection is encrypted end to end (frameworks read this, as on a TLS socket). */
  readonly encrypted = true
  /** There is no network address behind it. */
  readonly remoteAddress: string | undefined = undefined
  /** The idle timeout set last, as `net.Socket#timeout` (http.Agent reads it). */
  timeout: number | undefined = undefined

  private readonly sealer: Sealer
  private readonly opener: Opener
  private held: Buffer | undefined
  private starter: NodeJS.Immediate | undefined
  private idle: NodeJS.Timeout | undefined
  private finalStarted = false

  /**
   * @internal Made by the hand-over (handover.ts): `held` are the peer's first record bytes,
   * already read from the circuit with its last TLS records.
   */
  constructor(
    private readonly circuit: Duplex,
    keys: RecordKeys,
    peer: E2ePeer,
    held: Buffer,
  ) {
    super({
      allowHalfOpen: true,
      readableHighWaterMark: HIGH_WATER_MARK,
      writableHighWaterMark: HIGH_WATER_MARK,
    })
    this.peerIdentity = peer
    this.sealer = new Sealer(keys.send)
    this.opener = new Opener(keys.receive)
    this.held = held
    circuit.on('data', this.onCiphertext)
    circuit.on('end', this.onCircuitEnd)
    circuit.on('error', this.onCircuitError)
    circuit.on('close', this.onCircuitClose)
    // Read like a socket does, without waiting for a reader, but only once whoever gets this
    // socket has had a turn to listen for its errors.
    this.starter = setImmediate(() => this.start())
  }

  override _read(): void {
    if (this.held) this.start()
    else this.circuit.resume()
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.send(this.sealer.seal([chunk], chunk.length), cb)
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    cb: (err?: Error | null) => void,
  ): void {
    const buffers = chunks.map((c) => c.chunk)
    let total = 0
    for (const b of buffers) total += b.length
    this.send(this.sealer.seal(buffers, total), cb)
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.finalStarted = true
    const c = this.circuit
    if (c.destroyed) return cb(gone())
    // A circuit that ended its own side (a memory pair whose peer ended) has nothing to end.
    if (c.writableEnded) return cb()
    c.end(this.sealer.end(), cb)
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    clearImmediate(this.starter)
    clearTimeout(this.idle)
    const c = this.circuit
    c.off('data', this.onCiphertext)
    c.off('end', this.onCircuitEnd)
    c.off('close', this.onCircuitClose)
    c.off('error', this.onCircuitError)
    c.on('error', noop)
    if (!c.destroyed) {
      if (err || this.writableFinished) c.destroy(err ?? undefined)
      else if (this.finalStarted) closeAfterEnd(c)
      else if (!this.writableEnded && this.writableLength === 0 && !c.writableEnded) {
        c.end(this.sealer.end())
        closeAfterEnd(c)
      } else c.destroy()
    }
    cb(err)
  }

  /**
   * Ends this side and closes once the END record went out, like `net.Socket#destroySoon` (an
   * `http.Server` calls it after a `Connection: close` response).
   */
  destroySoon(): void {
    if (this.writable) this.end()
    if (this.writableFinished) this.destroy()
    else this.once('finish', () => this.destroy())
  }

  /** Emits 'timeout' once after `ms` without reads or writes, like `net.Socket#setTimeout`. */
  setTimeout(ms: number, callback?: () => void): this {
    clearTimeout(this.idle)
    this.idle = undefined
    this.timeout = ms
    if (ms === 0) {
      if (callback) this.off('timeout', callback)
      return this
    }
    if (callback) this.once('timeout', callback)
    if (!this.destroyed) this.idle = setTimeout(() => this.emit('timeout'), ms).unref()
    return this
  }

  /** Records are never delayed: Nagle is off on the connections underneath. */
  setNoDelay(_noDelay?: boolean): this {
    return this
  }

  /** The router connection underneath has its own keepalive. */
  setKeepAlive(_enable?: boolean, _delay?: number): this {
    return this
  }

  /** Holds no event-loop reference of its own. */
  ref(): this {
    return this
  }

  /** Holds no event-loop reference of its own. */
  unref(): this {
    return this
  }

  /** Starts reading: the held records first, then the circuit. */
  private start(): void {
    clearImmediate(this.starter)
    this.starter = undefined
    const held = this.held
    if (!held) return
    this.held = undefined
    if (held.length > 0) this.onCiphertext(held)
    if (this.destroyed) return
    // The circuit ended during the handshake, right behind the peer's last TLS record.
    if (this.circuit.readableEnded) return this.onCircuitEnd()
    this.circuit.resume()
  }

  private send(records: Buffer, cb: (err?: Error | null) => void): void {
    const c = this.circuit
    if (c.destroyed || c.writableEnded) return cb(gone())
    this.touch()
    relayedBytes(records.length)
    c.write(records, cb)
  }

  private readonly sink: OpenSink = {
    data: (plaintext) => {
      if (!this.push(plaintext)) this.circuit.pause()
    },
    end: () => {
      this.push(null)
    },
  }

  private readonly onCiphertext = (chunk: Buffer): void => {
    this.touch()
    relayedBytes(chunk.length)
    try {
      this.opener.open(chunk, this.sink)
    } catch (err) {
      this.fail(err as Error)
    }
  }

  private readonly onCircuitEnd = (): void => {
    if (this.opener.ended) return
    const where = this.opener.midRecord ? 'inside a record' : 'without the end record'
    this.fail(new ZhError('ZH_E2E_TRUNCATED', `the circuit ended ${where}`))
  }

  private readonly onCircuitError = (err: Error): void => {
    this.fail(err)
  }

  private readonly onCircuitClose = (): void => {
    if (this.destroyed) return
    if (!this.opener.ended) {
      return this.fail(new ZhError('ZH_E2E_TRUNCATED', 'the circuit closed mid-stream'))
    }
    // The peer finished and the circuit is gone: close once the reader has had everything.
    if (this.readableEnded) this.destroy()
    else this.once('end', () => this.destroy())
  }

  /** Resets the circuit with the failure's code (unless the failure came from it) and closes. */
  private fail(err: Error): void {
    if (this.destroyed) return
    if (!this.circuit.destroyed) this.circuit.destroy(err)
    this.destroy(this.listenerCount('error') > 0 ? err : undefined)
  }

  /** Activity restarts the idle timer, even one that already fired (as net.Socket does). */
  private touch(): void {
    this.idle?.refresh()
  }
}

/** Lets the END record and the FIN leave, then forgets the circuit (at the latest after a grace). */
function closeAfterEnd(circuit: Duplex): void {
  const timer = setTimeout(() => circuit.destroy(), CLOSE_GRACE_MS).unref()
  circuit.once('finish', () => {
    clearTimeout(timer)
    circuit.destroy()
  })
}

function gone(): ZhError {
  return new ZhError('ZH_WIRE_CIRCUIT_CLOSED', 'the circuit is gone')
}
