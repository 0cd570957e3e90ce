import { EventEmitter } from 'node:events'
import type { Duplex } from 'node:stream'
import tls from 'node:tls'
import { ZhError } from '../../errors.js'
import { runAttempt, type Attempt } from './attempt.js'
import { authenticatePeer, type Role } from './exchange.js'
import { TlsGate } from './records/gate.js'
import { handOver } from './records/handover.js'
import { KeyLog } from './records/keylog.js'
import { tlsMaterial } from '../client-context.js'
import { E2E_ALPN } from './tls.js'
import type { E2eConnection, E2eLocal, E2eOptions } from './types.js'

/** The hoster's side of the end-to-end layer for one service. */
export interface E2eHost {
  /** Runs the handshake over one incoming circuit; see {@link createE2eHost}. */
  accept(circuit: Duplex): Promise<E2eConnection>
  /** Fails the handshakes in progress and refuses new ones; established sockets stay open. */
  close(): void
}

/**
 * The hoster's side of the end-to-end layer (DESIGN §5): a TLS 1.3 server that never listens and
 * is fed each circuit with `emit('connection')`, requiring a client certificate of our CA
 * (`requestCert` + `rejectUnauthorized`), then the grant exchange inside the channel. The dialer
 * must be an identity of our network holding a valid *dial* grant for *this* service, issued to
 * that identity and the certificate it proved in TLS. The data then goes in our AES-256-GCM
 * records keyed from the TLS exporter (records/).
 *
 * `accept` resolves once both sides accepted each other, with the record socket (bytes the
 * dialer sent after the handshake, such as the first HTTP request, are still in it) and the dialer's
 * identity. On any failure both the TLS socket and the circuit are destroyed and it rejects with
 * a `ZH_E2E_*` code (or the circuit's own `ZH_*` error when the overlay reset it), ZH_SDK_CLOSED
 * after `close()`. `local` is read at every `accept` (pass a function returning the freshest
 * certificate and grant), so a refreshed grant and a renewed certificate are presented from the
 * next handshake on, and a grant replaced by a refresh is never shown again.
 *
 * @example
 * ```ts
 * const host = createE2eHost(() => grants.local('jenkins-webhook', 'bind'), { name: 'jenkins-webhook' })
 * circuits.on('circuit', async (circuit) => {
 *   const { socket, peer } = await host.accept(circuit)
 *   httpServer.emit('connection', socket)
 * })
 * ```
 */
export function createE2eHost(
  local: E2eLocal | (() => E2eLocal),
  service: { name: string; id?: string },
  options: E2eOptions = {},
): E2eHost {
  const current = typeof local === 'function' ? local : () => local
  const role: Role = { peerEku: 'clientAuth', peerAction: 'dial', service }
  const inProgress = new Set<Attempt>()
  let closed = false
  // One server per certificate: an accept reads its certificate and grant once, together, so a
  // renewal between two handshakes never pairs one certificate with the other's grant.
  let server: { material: tls.SecureContextOptions; server: tls.Server } | undefined
  const serverFor = (identity: E2eLocal['identity']): tls.Server => {
    const material = tlsMaterial(identity)
    const known = server?.material
    const same =
      known !== undefined &&
      known.key === material.key &&
      known.cert === material.cert &&
      known.ca === material.ca
    if (!same || !server) {
      server = {
        material,
        server: tls.createServer({
          ...material,
          requestCert: true,
          rejectUnauthorized: true,
          ALPNProtocols: [E2E_ALPN],
        }),
      }
    }
    return server.server
  }

  return {
    accept(circuit) {
      return runAttempt(circuit, options.timeoutMs, async (attempt) => {
        if (closed) throw new ZhError('ZH_SDK_CLOSED', 'the end-to-end host is closed')
        const { identity, grant } = current()
        if (!grant) throw new ZhError('ZH_SDK_NO_GRANT', `no bind grant for ${service.name}`)
        inProgress.add(attempt)
        attempt.failed.catch(() => inProgress.delete(attempt))
        try {
          const gate = new TlsGate(circuit)
          const keylog = options.keylog && new KeyLog(options.keylog)
          const socket = await handshake(serverFor(identity), gate, attempt, keylog)
          gate.secured()
          attempt.adopt(socket)
          const peer = await authenticatePeer(socket, attempt, { identity, grant }, role, options)
          const records = await handOver(socket, gate, circuit, peer, {
            side: 'hoster',
            keylog,
            recordsPerKey: options.recordsPerKey,
          })
          return { socket: records, peer }
        } finally {
          inProgress.delete(attempt)
        }
      })
    },
    close() {
      closed = true
      for (const attempt of inProgress) {
        attempt.fail(new ZhError('ZH_SDK_CLOSED', 'the end-to-end host was closed'))
      }
      inProgress.clear()
    },
  }
}

/**
 * Feeds one circuit (through its gate) to the server and resolves with its TLS socket once the
 * client certificate was accepted. The server's events do not say which injected stream a TLS socket belongs to, so
 * each circuit gets its own view of the server: an object whose prototype is the server (one
 * secure context, one configuration) with its own listeners (EventEmitter supports inherited
 * emitters). Node's connection listener then builds the TLS socket for that view, and the view
 * hears exactly this circuit's `secureConnection` or `tlsClientError`.
 */
function handshake(
  server: tls.Server,
  gate: TlsGate,
  attempt: Attempt,
  keylog: KeyLog | undefined,
): Promise<tls.TLSSocket> {
  const view = Object.create(server) as tls.Server
  Reflect.apply(EventEmitter, view, [])
  for (const listener of server.listeners('connection')) {
    view.on('connection', listener as (socket: Duplex) => void)
  }
  if (keylog) view.on('keylog', (line: Buffer) => keylog.tls(line))
  view.once('tlsClientError', (err: Error, socket: tls.TLSSocket) => {
    // A refused certificate shows up as a hang-up; the socket knows the real reason.
    attempt.adopt(socket)
    attempt.fail(err)
  })
  const secured = new Promise<tls.TLSSocket>((resolve) => view.once('secureConnection', resolve))
  view.emit('connection', gate)
  return secured
}
