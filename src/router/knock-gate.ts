import net from 'node:net'
import type tls from 'node:tls'
import { checkKnock, KNOCK_LENGTH, KnockReplay, TLS_HANDSHAKE } from '../wire/knock.js'

/** What the gate in front of the edge needs. */
export interface GateOptions {
  /**
   * Run with `--knock`: a connection must open with a valid, fresh, unseen knock, or it gets
   * nothing. Without it, a connection may open with a knock (taken unchecked) or with TLS.
   */
  required: boolean
  /** The network's knock keys now, current first (none: nobody gets in with `required`). */
  keys: () => readonly Buffer[]
  /** How long a client has to knock (or, without `required`, to start its handshake), ms. */
  timeoutMs: number
  maxConnections: number
  onRefused: (reason: string) => void
  now?: () => number
}

/**
 * The router's listening socket: it hands each connection to the TLS edge once it opened the
 * right way. With `required`, that is a knock (see `wire/knock.ts`) that verifies under the
 * current or the previous key, for a time step within the skew, with a nonce never seen. Every
 * other connection (nothing sent, a TLS ClientHello, garbage, a stale, forged or replayed knock)
 * gets not one byte: what it sends is read and dropped until `timeoutMs` after it connected,
 * and then it is closed, the same way and at the same time whatever it sent.
 *
 * @example
 * const gate = createEdgeGate(edge, { required: true, keys, timeoutMs: 3000, maxConnections, onRefused })
 * gate.listen(4433)
 */
export function createEdgeGate(edge: tls.Server, opts: GateOptions): net.Server {
  const replay = new KnockReplay()
  const server = net.createServer({ pauseOnConnect: true }, (socket) =>
    gate(socket, edge, replay, opts),
  )
  server.maxConnections = opts.maxConnections
  return server
}

function gate(socket: net.Socket, edge: tls.Server, replay: KnockReplay, opts: GateOptions): void {
  const now = opts.now ?? Date.now
  let refused: string | undefined
  const swallow = () => undefined
  socket.on('error', swallow)
  const timer = setTimeout(() => {
    if (refused === undefined) {
      refused = opts.required ? 'knock-timeout' : 'handshake-timeout'
      opts.onRefused(refused)
    }
    socket.destroy()
  }, opts.timeoutMs)
  timer.unref()
  // Refused: read and drop the rest until the deadline, so that the close is the same for all.
  const refuse = (reason: string) => {
    refused = reason
    opts.onRefused(reason)
    socket.off('readable', onReadable)
    socket.off('end', onEnd)
    socket.resume()
  }
  const pass = () => {
    clearTimeout(timer)
    socket.off('readable', onReadable)
    socket.off('end', onEnd)
    socket.off('error', swallow)
    edge.emit('connection', socket)
  }
  const onEnd = () => {
    clearTimeout(timer)
    if (refused === undefined) opts.onRefused(opts.required ? 'knock' : 'handshake')
    socket.destroy()
  }
  const onReadable = () => {
    if (!opts.required) {
      const first = socket.read(1) as Buffer | null
      if (first === null) return
      socket.unshift(first)
      if (first[0] === TLS_HANDSHAKE) return pass()
    }
    const knock = socket.read(KNOCK_LENGTH) as Buffer | null
    if (knock === null || knock.length < KNOCK_LENGTH) return
    if (!opts.required) return pass()
    const at = now()
    const nonce = checkKnock(knock, opts.keys(), at)
    if (!nonce) return refuse('knock')
    if (!replay.admit(nonce, at)) return refuse('knock-replayed')
    pass()
  }
  socket.on('readable', onReadable)
  socket.once('end', onEnd)
}
