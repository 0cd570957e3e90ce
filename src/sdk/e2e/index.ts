/**
 * The end-to-end layer (DESIGN §5): a TLS 1.3 handshake between the two endpoints' identity
 * certificates inside every circuit, plus each side's grant for this service checked by the
 * other, then the data in AES-256-GCM records keyed from that handshake, so routers relay bytes
 * they can neither read, alter, nor redirect unnoticed.
 */
export { e2eDial } from './dial.js'
export { createE2eHost, type E2eHost } from './host.js'
export { E2eSocket } from './records/socket.js'
export {
  DEFAULT_E2E_TIMEOUT_MS,
  type E2eConnection,
  type E2eLocal,
  type E2eOptions,
  type E2ePeer,
} from './types.js'
