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

/**
 * A bound service: emits 'connection' for every authorized caller, already end-to-end encrypted
 * and with `peerIdentity` set. The process opens no listening port for it.
 *
 * @example
 * const l = await zh.listen('jenkins-webhook')
 * l.on('connection', (socket) => console.log(socket.peerIdentity.name))
 */
export class OverlayListener extends EventEmitter<ListenerEvents> {
  constructor(
    readonly service: string,
    readonly binding: number,
    private readonly onClose: () => void,
  ) {
    super()
  }

  /** Unbinds the service from every router. */
  close(): void {
    this.onClose()
    this.emit('close')
  }
}
