import { createHash } from 'node:crypto'
import tls from 'node:tls'
import type { Logger } from 'pino'
import { verifyCertificate } from '../pki/verify.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import type { RouterIdentity } from './identity.js'

/** Limits of the edge listener. */
export interface EdgeLimits {
  maxConnections: number
  handshakeTimeoutMs: number
}

export const defaultEdgeLimits: EdgeLimits = { maxConnections: 10_000, handshakeTimeoutMs: 10_000 }

/** An authenticated endpoint connection. */
export interface EdgePeer {
  socket: tls.TLSSocket
  identityId: string
  fingerprint: string
  /** When the peer's certificate expires, ms: the session is closed then (TLS never re-checks). */
  notAfter: number
}

/** A router of this network at the edge, as its verified certificate names it. */
export interface EdgeRouter {
  id: string
  fingerprint: string
  notAfter: number
}

/**
 * The edge's secure context for an identity. All of it, every time: `setSecureContext` resets
 * any option it is not given (the CA and the minimum version included) to Node's default.
 */
export function edgeTls(identity: IdentityFile): tls.SecureContextOptions {
  return {
    cert: identity.certificate,
    key: identity.key,
    ca: identity.ca,
    minVersion: 'TLSv1.3',
  }
}

/**
 * The router's only listening port: TLS 1.3, and a client certificate of this network is
 * required in the handshake, so a scanner without one gets no banner and no byte of protocol.
 * After the handshake the certificate is checked again (principal, EKU, revocation) before the
 * connection is handed on. A renewed identity is swapped in for the handshakes that follow;
 * connections already open keep the certificate they were made with.
 */
export function createEdgeServer(
  identity: RouterIdentity,
  opts: {
    limits: EdgeLimits
    isRevoked: (fingerprint: string) => boolean
    onPeer: (peer: EdgePeer) => void
    /**
     * A router of this network connected (verified router certificate, not revoked): true when
     * it became a link. Without this option, router certificates are refused like any stranger.
     */
    onRouter?: (socket: tls.TLSSocket, router: EdgeRouter) => boolean
    onRefused: (reason: string) => void
    log: Logger
  },
): tls.Server {
  const server = tls.createServer({
    ...edgeTls(identity.current),
    requestCert: true,
    rejectUnauthorized: true,
    handshakeTimeout: opts.limits.handshakeTimeoutMs,
  })
  server.maxConnections = opts.limits.maxConnections
  const renewed = (next: IdentityFile) => server.setSecureContext(edgeTls(next))
  identity.on('renewed', renewed)
  server.once('close', () => identity.off('renewed', renewed))
  server.on('secureConnection', (socket) => {
    const raw = socket.getPeerCertificate().raw
    const refuse = (reason: string) => {
      opts.onRefused(reason)
      socket.destroy()
    }
    if (!raw) return refuse('no-certificate')
    const fingerprint = createHash('sha256').update(raw).digest('hex')
    let principal: { kind: string; id: string }
    let notAfter: number
    try {
      const { ca, network } = identity.current
      const verified = verifyCertificate(raw, ca, { network, eku: 'clientAuth' })
      principal = verified.principal
      notAfter = verified.notAfter.getTime()
    } catch {
      return refuse('certificate')
    }
    if (opts.isRevoked(fingerprint)) return refuse('revoked')
    socket.setNoDelay(true)
    // A router certificate only ever opens a link (never an endpoint session), and an endpoint
    // certificate never a link: the kind in the certificate decides, not anything said later.
    if (principal.kind === 'router') {
      if (!opts.onRouter?.(socket, { id: principal.id, fingerprint, notAfter }))
        return refuse('router')
      return
    }
    if (principal.kind !== 'identity') return refuse('certificate')
    opts.onPeer({ socket, identityId: principal.id, fingerprint, notAfter })
  })
  // Node only reports a failed or timed-out handshake here; it leaves the socket open (a client
  // that never finishes its handshake would hold a connection slot for ever), so close it.
  server.on('tlsClientError', (err, socket) => {
    opts.onRefused(handshakeRefusal(err, socket))
    opts.log.debug({ err: err.message }, 'TLS handshake refused')
    socket.destroy()
  })
  return server
}

/**
 * The metrics reason of a refused handshake: a certificate that did not verify (other CA,
 * self-signed, expired, wrong EKU), none at all, a client too slow to finish, or anything else.
 */
function handshakeRefusal(err: Error, socket: tls.TLSSocket): string {
  if (socket.authorizationError) return 'certificate'
  const code = (err as NodeJS.ErrnoException).code
  if (code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE') return 'no-certificate'
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'handshake-timeout'
  return 'handshake'
}
