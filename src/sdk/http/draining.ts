import type { Duplex } from 'node:stream'

/**
 * A connection whose circuit runs over a router connection that is going away (the certificate
 * it was made with was renewed): it may finish what it is doing, but should carry nothing new.
 * HTTP keep-alive would otherwise reuse it until the router cuts it when the certificate expires,
 * and a request caught in flight then would fail.
 */
const DRAINING = Symbol('zerohook.draining')

type Marked = Duplex & { [DRAINING]?: boolean }

/** Marks a connection draining and tells its users ('draining' event), once. */
export function markDraining(socket: Duplex): void {
  const s = socket as Marked
  if (s[DRAINING] || s.destroyed) return
  s[DRAINING] = true
  s.emit('draining')
}

/** True once {@link markDraining} was called on the connection. */
export function isDraining(socket: Duplex | null | undefined): boolean {
  if (!socket) return false
  return (socket as Marked)[DRAINING] === true
}
