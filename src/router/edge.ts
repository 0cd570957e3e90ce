import { createHash } from 'node:crypto'
import tls from 'node:tls'
import type { Logger } from 'pino'
import { verifyCertificate } from '../pki/verify.js'
import type { IdentityFile } from '../sdk/identity-file.js'

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
}

/**
 * The router's only listening port: TLS 1.3, and a client certificate of this network is
 * required in the handshake, so a scanner without one gets no banner and no byte of protocol.
 * After the handshake the certificate is checked again (principal, EKU, revocation) before the
 * connection is handed on.
 */
export function createEdgeServer(
  identity: IdentityFile,
  opts: {
    limits: EdgeLimits
    isRevoked: (fingerprint: string) => boolean
    onPeer: (peer: EdgePeer) => void
    /**
     * A router of this network connected (verified router certificate, not revoked): true when
     * it became a link. Without this option, router certificates are refused like any stranger.
     */
    onRouter?: (socket: tls.TLSSocket, routerId: string, fingerprint: string) => boolean
    onRefused: (reason: string) => void
    log: Logger
  },
): tls.Server {
  const server = tls.createServer({
    cert: identity.certificate,
    key: identity.key,
    ca: identity.ca,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: 'TLSv1.3',
    handshakeTimeout: opts.limits.handshakeTimeoutMs,
  })
  server.maxConnections = opts.limits.maxConnections
  server.on('secureConnection', (socket) => {
    const raw = socket.getPeerCertificate().raw
    const refuse = (reason: string) => {
      opts.onRefused(reason)
      socket.destroy()
    }
    if (!raw) return refuse('no-certificate')
    const fingerprint = createHash('sha256').update(raw).digest('hex')
    let principal: { kind: string; id: string }
    try {
      principal = verifyCertificate(raw, identity.ca, {
        network: identity.network,
        eku: 'clientAuth',
      }).principal
    } catch {
      return refuse('certificate')
    }
    if (opts.isRevoked(fingerprint)) return refuse('revoked')
    socket.setNoDelay(true)
    // A router certificate only ever opens a link (never an endpoint session), and an endpoint
    // certificate never a link: the kind in the certificate decides, not anything said later.
    if (principal.kind === 'router') {
      if (!opts.onRouter?.(socket, principal.id, fingerprint)) return refuse('router')
      return
    }
    if (principal.kind !== 'identity') return refuse('certificate')
    opts.onPeer({ socket, identityId: principal.id, fingerprint })
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
