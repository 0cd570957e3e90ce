import { constants, createHash } from 'node:crypto'
import tls from 'node:tls'
import type { Logger } from 'pino'
import { channelBinding, signChannelProof } from '../pki/channel-proof.js'
import { createOpaqueCertificate, type OpaqueCertificate } from '../pki/opaque.js'
import { verifyCertificate } from '../pki/verify.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import type { RouterIdentity } from './identity.js'

/** Limits of the edge listener. */
export interface EdgeLimits {
  maxConnections: number
  handshakeTimeoutMs: number
  /** With `--knock`: how long a new connection has to knock before it is closed, ms. */
  knockTimeoutMs: number
}

export const defaultEdgeLimits: EdgeLimits = {
  maxConnections: 10_000,
  handshakeTimeoutMs: 10_000,
  knockTimeoutMs: 3_000,
}

/**
 * Every refused connection is closed this long after its handshake, ms, whatever the reason:
 * checking a certificate takes from nothing (none sent) to a signature verification, and a
 * scanner timing the close must not learn which check failed.
 */
export const REFUSAL_CLOSE_MS = 50

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

/** Who may open a router link at the edge (the LinkManager). */
export interface EdgeRouters {
  /** True when this router may link to us now: it is listed, and the dialing side of the pair. */
  accepts(router: EdgeRouter): boolean
  /** Runs the link over the socket. */
  accept(socket: tls.TLSSocket, router: EdgeRouter): void
}

/**
 * The edge's secure context. All of it, every time: `setSecureContext` resets any option it is
 * not given (the minimum version included) to Node's default. The certificate is an opaque one
 * that names nothing: the router proves who it is inside the channel, to admitted clients only.
 * No `ca`: Node would name every CA it holds in the CertificateRequest, telling anyone which
 * network this is; client certificates are checked by `admit` instead. No session tickets: a
 * stateless ticket holds the client's certificate, so its size would vary with it, and
 * resumption is of no use here.
 */
export function edgeTls(serving: OpaqueCertificate): tls.SecureContextOptions {
  return {
    cert: serving.cert,
    key: serving.key,
    minVersion: 'TLSv1.3',
    secureOptions: constants.SSL_OP_NO_TICKET,
  }
}

/** What the edge decided about a connection whose handshake finished. */
type Verdict =
  { refused: string } | { refused?: undefined; kind: 'identity' | 'router'; peer: EdgeRouter }

/**
 * The router's edge, behind its listening socket (see `knock-gate.ts`, which hands it each
 * connection): TLS 1.3 with a client certificate requested, and nothing on the wire that names
 * the product, the network or the router. It serves `serving`, an opaque
 * certificate. Every client that finishes the handshake has its certificate checked after it
 * (chain to the network CA, validity, EKU, principal, revocation). An admitted client gets the
 * router's proof of identity first (its router certificate and a signature with its key over
 * the connection's exported keying material, see `pki/channel-proof.ts`), then the protocol.
 * Every refusal, whatever its reason (no certificate, another CA, self-signed, expired, revoked,
 * a router that may not link), looks the same: the handshake completes, nothing more is sent,
 * and the connection is closed `REFUSAL_CLOSE_MS` after the handshake. A renewal is proved from
 * the next connection on, and brings a new opaque certificate (a scanner cannot follow one
 * router by its certificate for longer than a certificate lifetime).
 */
export function createEdgeServer(
  identity: RouterIdentity,
  opts: {
    serving: OpaqueCertificate
    limits: EdgeLimits
    isRevoked: (fingerprint: string) => boolean
    onPeer: (peer: EdgePeer) => void
    /** Routers of this network that may link. Without it, router certificates are refused. */
    routers?: EdgeRouters
    onRefused: (reason: string) => void
    log: Logger
  },
): tls.Server {
  const server = tls.createServer({
    ...edgeTls(opts.serving),
    requestCert: true,
    // Checked by `admit`, after the handshake, so that every refusal is the same.
    rejectUnauthorized: false,
    handshakeTimeout: opts.limits.handshakeTimeoutMs,
  })
  let closed = false
  const renewed = () =>
    void createOpaqueCertificate().then(
      (next) => closed || server.setSecureContext(edgeTls(next)),
      (err: Error) => opts.log.warn({ err: err.message }, 'edge: no new serving certificate'),
    )
  identity.on('renewed', renewed)
  server.once('close', () => {
    closed = true
    identity.off('renewed', renewed)
  })
  server.on('secureConnection', (socket) => {
    const handshaken = performance.now()
    const verdict = admit(socket, identity.current, opts)
    if (verdict.refused !== undefined) {
      opts.onRefused(verdict.refused)
      return refuse(socket, handshaken)
    }
    socket.setNoDelay(true)
    socket.write(signChannelProof(channelBinding(socket), identity.current))
    const { id, fingerprint, notAfter } = verdict.peer
    if (verdict.kind === 'router') return opts.routers!.accept(socket, verdict.peer)
    opts.onPeer({ socket, identityId: id, fingerprint, notAfter })
  })
  // Node only reports a failed or timed-out handshake here; it leaves the socket open (a client
  // that never finishes its handshake would hold a connection slot for ever), so close it.
  server.on('tlsClientError', (err, socket) => {
    opts.onRefused(handshakeRefusal(err))
    opts.log.debug({ err: err.message }, 'TLS handshake refused')
    socket.destroy()
  })
  return server
}

/**
 * Checks the certificate of a client whose handshake finished: the only check it gets, since
 * the TLS context holds no CA (see `edgeTls`). A router certificate only ever
 * opens a link (never an endpoint session), and an endpoint certificate never a link: the kind
 * in the certificate decides, not anything said later.
 */
function admit(
  socket: tls.TLSSocket,
  self: IdentityFile,
  opts: { isRevoked: (fingerprint: string) => boolean; routers?: EdgeRouters },
): Verdict {
  const raw = socket.getPeerCertificate().raw
  if (!raw) return { refused: 'no-certificate' }
  const fingerprint = createHash('sha256').update(raw).digest('hex')
  let peer: EdgeRouter
  let kind: string
  try {
    const verified = verifyCertificate(raw, self.ca, { network: self.network, eku: 'clientAuth' })
    peer = { id: verified.principal.id, fingerprint, notAfter: verified.notAfter.getTime() }
    kind = verified.principal.kind
  } catch {
    return { refused: 'certificate' }
  }
  if (opts.isRevoked(fingerprint)) return { refused: 'revoked' }
  if (kind === 'router') return opts.routers?.accepts(peer) ? { kind, peer } : { refused: 'router' }
  if (kind !== 'identity') return { refused: 'certificate' }
  return { kind, peer }
}

/**
 * Closes a refused connection the one way every refusal is closed: at `REFUSAL_CLOSE_MS` after
 * its handshake, with a plain TCP close. What the client sends meanwhile is read and dropped,
 * so the close is never a reset for unread data.
 */
function refuse(socket: tls.TLSSocket, handshaken: number): void {
  socket.on('error', () => undefined)
  socket.resume()
  const wait = Math.max(0, handshaken + REFUSAL_CLOSE_MS - performance.now())
  setTimeout(() => socket.destroy(), wait).unref()
}

/** The metrics reason of a failed handshake: a client too slow to finish, or anything else. */
function handshakeRefusal(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code
  return code === 'ERR_TLS_HANDSHAKE_TIMEOUT' ? 'handshake-timeout' : 'handshake'
}
