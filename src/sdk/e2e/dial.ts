import type { Duplex } from 'node:stream'
import tls from 'node:tls'
import { ZhError } from '../../errors.js'
import { checkServerPrincipal } from '../../pki/verify.js'
import { runAttempt } from './attempt.js'
import { authenticatePeer, type Role } from './exchange.js'
import { TlsGate } from './records/gate.js'
import { handOver } from './records/handover.js'
import { KeyLog } from './records/keylog.js'
import { clientContext } from '../client-context.js'
import { E2E_ALPN } from './tls.js'
import type { E2eConnection, E2eLocal, E2eOptions } from './types.js'

/**
 * The dialer's side of the end-to-end layer (DESIGN §5): TLS 1.3 client over a raw circuit that
 * an untrusted router relays, with mutual authentication by both identity certificates, then the
 * grant exchange inside the channel. The hoster must hold a certificate of our CA naming an
 * identity of our network, and a valid *bind* grant for *this* service issued to that identity
 * and that certificate; so a router that connects the dial to any other endpoint is caught.
 * The data then goes in our AES-256-GCM records keyed from the TLS exporter (records/).
 *
 * Resolves once both sides accepted each other, with the record socket (any bytes the hoster
 * sent after the handshake are still in it) and the hoster's identity. There is no fallback: on
 * any failure both the TLS socket and the circuit are destroyed and the promise rejects with a
 * `ZH_E2E_*` code (ZH_E2E_PEER_CERT_INVALID, ZH_E2E_PEER_GRANT_INVALID, ZH_E2E_WRONG_SERVICE,
 * ZH_E2E_REFUSED, ZH_E2E_PROTOCOL, ZH_E2E_HANDSHAKE_FAILED, ZH_E2E_TIMEOUT), or with the
 * circuit's own `ZH_*` error when the overlay reset it (say ZH_ROUTER_NO_TERMINATOR).
 *
 * @example
 * ```ts
 * const circuit = await routerLink.open('jenkins-webhook', dialGrant)
 * const { socket, peer } = await e2eDial(circuit, { identity, grant: dialGrant }, { serviceName: 'jenkins-webhook' })
 * socket.end('hello ' + peer.identityId)
 * ```
 */
export function e2eDial(
  circuit: Duplex,
  local: E2eLocal,
  expect: { serviceName: string; serviceId?: string },
  options: E2eOptions = {},
): Promise<E2eConnection> {
  const { identity } = local
  return runAttempt(circuit, options.timeoutMs, async (attempt) => {
    const grant = local.grant
    if (!grant) throw new ZhError('ZH_SDK_NO_GRANT', `no dial grant for ${expect.serviceName}`)
    const gate = new TlsGate(circuit)
    const socket = tls.connect({
      socket: gate,
      secureContext: clientContext(identity),
      ALPNProtocols: [E2E_ALPN],
      rejectUnauthorized: true,
      // Node's default check knows DNS names only; ours wants an identity of our network.
      checkServerIdentity: checkServerPrincipal({ network: identity.network, kind: 'identity' }),
    })
    attempt.adopt(socket)
    const keylog = options.keylog && new KeyLog(options.keylog)
    if (keylog) socket.on('keylog', keylog.tls)
    await new Promise<void>((resolve) => socket.once('secureConnect', resolve))
    gate.secured()

    const service = { name: expect.serviceName, id: expect.serviceId }
    const role: Role = { peerEku: 'serverAuth', peerAction: 'bind', service }
    const peer = await authenticatePeer(socket, attempt, { identity, grant }, role, options)
    const records = await handOver(socket, gate, circuit, peer, {
      side: 'dialer',
      keylog,
      recordsPerKey: options.recordsPerKey,
    })
    return { socket: records, peer }
  })
}
