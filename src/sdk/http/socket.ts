import net from 'node:net'
import { Duplex } from 'node:stream'
import { E2eSocket, type E2ePeer } from '../e2e/index.js'

/** A connection over the overlay: a Duplex (normally the end-to-end socket) and its peer. */
export type OverlaySocket = Duplex & { peerIdentity?: E2ePeer }

/** Opens a connection to a service over the overlay (the SDK's `dial`, injected). */
export type OverlayDial = (serviceName: string) => Promise<OverlaySocket>

/** What Node's HTTP client and server call on a connection besides the Duplex methods. */
export type SocketLike = OverlaySocket & {
  setKeepAlive(enable?: boolean, initialDelay?: number): unknown
  setNoDelay(noDelay?: boolean): unknown
  setTimeout(ms: number, callback?: () => void): unknown
  ref(): unknown
  unref(): unknown
}

/**
 * A connection as Node's HTTP client and server expect it. The end-to-end socket and any
 * `net.Socket` are returned as they are: they already have `setTimeout` with idle semantics,
 * and `setKeepAlive`, `setNoDelay`, `ref` and `unref` (which do nothing where no OS socket lies
 * below). Any other Duplex is wrapped in a {@link SocketShim}.
 *
 * @example
 * server.emit('connection', asSocket(await dial('jenkins-webhook')))
 */
export function asSocket(stream: OverlaySocket): SocketLike {
  return stream instanceof E2eSocket || stream instanceof net.Socket
    ? stream
    : new SocketShim(stream)
}

/**
 * A Duplex that forwards to another, with backpressure both ways, and adds the socket methods
 * HTTP needs: an idle `setTimeout` that emits 'timeout' like `net.Socket`, and no-op
 * `setKeepAlive`, `setNoDelay`, `ref` and `unref` (a circuit has no OS socket to tune).
 */
export class SocketShim extends Duplex {
  readonly peerIdentity: E2ePeer | undefined
  /** The idle timeout set last, as `net.Socket#timeout` (http.Agent reads it). */
  timeout: number | undefined = undefined
  private timer: NodeJS.Timeout | undefined

  constructor(private readonly inner: Duplex) {
    super({ allowHalfOpen: inner.allowHalfOpen })
    this.peerIdentity = (inner as OverlaySocket).peerIdentity
    inner.on('data', (chunk: Buffer) => {
      this.touch()
      if (!this.push(chunk)) inner.pause()
    })
    inner.on('end', () => this.push(null))
    inner.on('error', (err: Error) => this.destroy(err))
    inner.on('close', () => {
      if (!inner.readableEnded) this.destroy()
    })
    inner.pause()
  }

  override _read(): void {
    this.inner.resume()
  }

  override _write(chunk: Buffer, encoding: BufferEncoding, cb: (err?: Error | null) => void) {
    this.touch()
    this.inner.write(chunk, encoding, cb)
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.inner.end(cb)
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    clearTimeout(this.timer)
    this.inner.destroy(err ?? undefined)
    cb(err)
  }

  /** Emits 'timeout' once after `ms` without reads or writes, like `net.Socket#setTimeout`. */
  setTimeout(ms: number, callback?: () => void): this {
    clearTimeout(this.timer)
    this.timer = undefined
    this.timeout = ms
    if (ms === 0) {
      if (callback) this.off('timeout', callback)
      return this
    }
    if (callback) this.once('timeout', callback)
    this.timer = setTimeout(() => this.emit('timeout'), ms)
    this.timer.unref()
    return this
  }

  /** Activity restarts the idle timer, even one that already fired (as net.Socket does). */
  private touch(): void {
    if (this.timer && !this.destroyed) this.timer.refresh()
  }

  setKeepAlive(): this {
    return this
  }

  setNoDelay(): this {
    return this
  }

  ref(): this {
    return this
  }

  unref(): this {
    return this
  }
}
