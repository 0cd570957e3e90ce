import net from 'node:net'
import tls from 'node:tls'
import { knockKeys, makeKnock } from '../wire/knock.js'

/**
 * Opens a TLS connection to a router's edge: with a knock first when the network's knock keys
 * are known (a router run with `--knock` takes nothing else; one without it takes both), then
 * the handshake with `options`. The knock is written on the TCP connection as soon as it is
 * up, before the TLS layer starts and writes its ClientHello.
 *
 * @example
 * const socket = dialRouter({ host, port }, { secureContext, rejectUnauthorized: false }, identity.knock)
 */
export function dialRouter(
  target: { host: string; port: number },
  options: tls.ConnectionOptions,
  knock: readonly string[] | undefined,
): tls.TLSSocket {
  const key = knockKeys(knock)[0]
  if (!key) return tls.connect({ ...options, host: target.host, port: target.port })
  const raw = net.connect({ host: target.host, port: target.port })
  // Registered before the TLS socket's own 'connect' listener: the knock goes out first.
  raw.once('connect', () => raw.write(makeKnock(key)))
  return tls.connect({ ...options, host: target.host, socket: raw })
}
