import type { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import { ZhError } from '../../../errors.js'
import type { E2ePeer } from '../types.js'
import type { TlsGate } from './gate.js'
import { EXPORTER_LABEL, SECRET_LENGTH, recordKeys, type Side } from './keys.js'
import type { KeyLog } from './keylog.js'
import { E2eSocket } from './socket.js'

const noop = () => {}

/** What the switch needs besides the sockets. */
export interface HandOverOptions {
  side: Side
  keylog?: KeyLog
  /** Records per key before the next (tests lower it; both ends must agree). */
  recordsPerKey?: number
}

/**
 * Switches a circuit from the TLS handshake to our records, once both `ok` verdicts are in.
 * Our own TLS writes (the `ok`) are flushed onto the circuit first: a TLS socket may still hold
 * encrypted bytes while an earlier write is in progress, and the peer switches as soon as it has
 * read our `ok`. Then both ends derive the same record keys from the TLS exporter, the gate
 * hands over the record bytes that came with the last TLS records, and the TLS socket is
 * destroyed behind the gate, which drops anything it still writes.
 *
 * Decrypted TLS data left unread after the `ok` is a peer breaking the protocol (it must send
 * nothing over TLS after its verdict): ZH_E2E_PROTOCOL.
 */
export async function handOver(
  tls: TLSSocket,
  gate: TlsGate,
  circuit: Duplex,
  peer: E2ePeer,
  options: HandOverOptions,
): Promise<E2eSocket> {
  // An empty write completes only after every earlier one left for the gate, and adds no bytes.
  await new Promise<void>((resolve, reject) =>
    tls.write(Buffer.alloc(0), (err) => (err ? reject(err) : resolve())),
  )
  // The attempt may have failed meanwhile (its deadline, a reset): then there is nothing to switch.
  if (circuit.destroyed) throw new ZhError('ZH_E2E_HANDSHAKE_FAILED', 'the circuit closed')
  if (tls.readableLength > 0) {
    throw new ZhError('ZH_E2E_PROTOCOL', 'TLS data after the verdict')
  }
  // TLS 1.3 defines an empty context as no context (RFC 8446 §7.5).
  const exported = tls.exportKeyingMaterial(2 * SECRET_LENGTH, EXPORTER_LABEL, Buffer.alloc(0))
  options.keylog?.records(exported)
  const keys = recordKeys(exported, options.side, options.recordsPerKey)
  const held = gate.handOver()
  tls.on('error', noop)
  tls.destroy()
  return new E2eSocket(circuit, keys, peer, held)
}
