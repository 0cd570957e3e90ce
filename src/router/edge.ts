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
    let identityId: string
    try {
      identityId = verifyCertificate(raw, identity.ca, {
        network: identity.network,
        kind: 'identity',
        eku: 'clientAuth',
      }).principal.id
    } catch {
      return refuse('certificate')
    }
    const fingerprint = createHash('sha256').update(raw).digest('hex')
    if (opts.isRevoked(fingerprint)) return refuse('revoked')
    socket.setNoDelay(true)
    opts.onPeer({ socket, identityId, fingerprint })
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
