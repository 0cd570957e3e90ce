import { EventEmitter } from 'node:events'
import type { E2eSocket } from './e2e/index.js'

/**
 * A socket from the overlay: end-to-end encrypted records with the caller, who is
 * `peerIdentity` (proven by its certificate in the end-to-end handshake and its grant).
 */
export type OverlaySocket = E2eSocket

interface ListenerEvents {
  connection: [socket: OverlaySocket]
  error: [err: Error]
  close: []
}

const noop = () => {}

/**
 * A bound service: emits 'connection' for every authorized caller, already end-to-end encrypted
 * and with `peerIdentity` set. The process opens no listening port for it, yet it keeps the
 * process running until closed, as a listening server does (`unref()` lets it go): a receiver
 * whose routers are all down for a while waits for them instead of exiting.
 *
 * @example
 * const l = await zh.listen('jenkins-webhook')
 * l.on('connection', (socket) => console.log(socket.peerIdentity.name))
 */
export class OverlayListener extends EventEmitter<ListenerEvents> {
  /** The handle that holds the event loop while the service is bound (a timer that never fires). */
  private keepAlive: NodeJS.Timeout | undefined = setInterval(noop, 2 ** 31 - 1)

  constructor(
    readonly service: string,
    readonly binding: number,
    private readonly onClose: () => void,
  ) {
    super()
  }

  /** Keeps the process running while the service is bound (the default). */
  ref(): this {
    this.keepAlive?.ref()
    return this
  }

  /** Lets the process exit even though the service is bound, like `net.Server#unref`. */
  unref(): this {
    this.keepAlive?.unref()
    return this
  }

  /** @internal Lets the process go without unbinding: for a bind that never took. */
  release(): void {
    clearInterval(this.keepAlive)
    this.keepAlive = undefined
  }

  /** Unbinds the service from every router. */
  close(): void {
    this.release()
    this.onClose()
    this.emit('close')
  }
}
