import type http from 'node:http'
import type { E2ePeer } from '../e2e/index.js'
import { isDraining } from './draining.js'
import { asSocket, type OverlaySocket } from './socket.js'

/** Anything that emits the overlay's end-to-end sockets as 'connection' (the SDK's listener). */
export interface ConnectionSource {
  on(event: 'connection', listener: (socket: OverlaySocket) => void): unknown
  off(event: 'connection', listener: (socket: OverlaySocket) => void): unknown
}

/**
 * Serves any Node `http.Server` (Express, Fastify, Koa, plain) over the overlay: each end-to-end
 * socket the source emits becomes one of the server's connections through
 * `server.emit('connection', socket)`. The server never calls `listen()`, so the process keeps no
 * open port. Handlers read the caller's identity with {@link getPeerIdentity}. Returns a function
 * that stops handing over new connections (`server.closeAllConnections()` ends the others).
 *
 * @example
 * ```ts
 * const app = express().post('/hook', (req, res) => res.send(`hello ${getPeerIdentity(req)?.identityId}`))
 * const stop = serveOverlay(http.createServer(app), await zh.listen('jenkins-webhook'))
 * ```
 */
export function serveOverlay(server: http.Server, connections: ConnectionSource): () => void {
  const onConnection = (socket: OverlaySocket) => {
    server.emit('connection', asSocket(socket))
  }
  // A connection over a retired router link answers its next request with `Connection: close`,
  // so the caller moves to a fresh one without a request ever meeting a closed circuit.
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (isDraining(req.socket)) res.setHeader('connection', 'close')
  }
  server.prependListener('request', onRequest)
  connections.on('connection', onConnection)
  return () => {
    connections.off('connection', onConnection)
    server.off('request', onRequest)
  }
}

/**
 * The identity that called, proven by its certificate and its dial grant for this service;
 * `undefined` for a request that did not come over the overlay.
 *
 * @example
 * ```ts
 * app.post('/hook', (req, res) => {
 *   if (getPeerIdentity(req)?.identityId !== ciJobId) return res.sendStatus(403)
 *   res.sendStatus(204)
 * })
 * ```
 */
export function getPeerIdentity(req: http.IncomingMessage): E2ePeer | undefined {
  return (req.socket as OverlaySocket | null)?.peerIdentity
}
