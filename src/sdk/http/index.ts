/**
 * HTTP over the overlay (DESIGN §6): serve any `http.Server` over a bound service, and send with
 * an undici Dispatcher (`fetch`) or an `http.Agent` (`http.request`, axios, got), where the URL
 * host names the service.
 */
export { OverlayAgent, createOverlayAgent } from './agent.js'
export {
  createOverlayDispatcher,
  type OverlayDispatcher,
  type OverlayDispatcherOptions,
} from './dispatcher.js'
export { getPeerIdentity, serveOverlay, type ConnectionSource } from './serve.js'
export {
  asSocket,
  SocketShim,
  type OverlayDial,
  type OverlaySocket,
  type SocketLike,
} from './socket.js'
