import { Duplex, type DuplexOptions } from 'node:stream'

/**
 * The parts of `net.Socket` that layers above call on a connection they did not open: an
 * `http.Server` sets a timeout, no-delay and keepalive; an `http.Agent` refs and unrefs; TLS and
 * loggers read `remoteAddress`. A base for Duplexes that stand in for sockets. The timeout is
 * real (idle connections of an http.Server must close); the rest has nothing to configure.
 */
export abstract class SocketLike extends Duplex {
  /** There is no network address behind it. */
  readonly remoteAddress: string | undefined = undefined
  private idleMs = 0
  private idleTimer: ReturnType<typeof setTimeout> | undefined

  constructor(options?: DuplexOptions) {
    super(options)
  }

  /** Frames are never delayed: Nagle is off on the connection underneath. */
  setNoDelay(_noDelay?: boolean): this {
    return this
  }

  /** The connection underneath has its own keepalive. */
  setKeepAlive(_enable?: boolean, _delay?: number): this {
    return this
  }

  /** Like `net.Socket#setTimeout`: emits 'timeout' after `ms` without reads or writes (0 = off). */
  setTimeout(ms: number, callback?: () => void): this {
    if (callback) {
      if (ms === 0) this.removeListener('timeout', callback)
      else this.once('timeout', callback)
    }
    if (this.idleTimer) clearTimeout(this.idleTimer)
    this.idleTimer = undefined
    this.idleMs = this.destroyed ? 0 : ms
    if (this.idleMs > 0) this.idleTimer = setTimeout(() => this.emit('timeout'), ms).unref()
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

  /** Records a read or write: the idle timeout starts over (and re-arms after it fired). */
  protected touch(): void {
    if (this.idleMs > 0) this.idleTimer?.refresh()
  }
}
