import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import { createOpaqueCertificate } from '../pki/opaque.js'
import { createEdgeGate } from './knock-gate.js'

/** A TLS server that looks like a router's edge from outside, and does what a test says. */
export interface FakeRouter {
  port: number
  address: string
  close(): Promise<void>
}

/**
 * Starts an impostor on loopback: TLS 1.3, an opaque serving certificate, a client certificate
 * requested and taken whatever it is, a knock taken too, just as a router's edge; `onClient` decides what each
 * client that finished its handshake gets (nothing, a forged proof, a relayed one...).
 */
export async function startFakeRouter(
  onClient: (socket: tls.TLSSocket) => void,
): Promise<FakeRouter> {
  const serving = await createOpaqueCertificate()
  const sockets = new Set<tls.TLSSocket>()
  const server = tls.createServer(
    {
      cert: serving.cert,
      key: serving.key,
      minVersion: 'TLSv1.3',
      requestCert: true,
      rejectUnauthorized: false,
    },
    (socket) => {
      sockets.add(socket)
      socket.on('error', () => undefined)
      socket.once('close', () => sockets.delete(socket))
      onClient(socket)
    },
  )
  // In front of it, a router's own gate: a knock is taken (unchecked) as a router takes it.
  const gate = createEdgeGate(server, {
    required: false,
    keys: () => [],
    timeoutMs: 10_000,
    maxConnections: 100,
    onRefused: () => undefined,
  })
  await new Promise<void>((resolve) => gate.listen(0, '127.0.0.1', resolve))
  const port = (gate.address() as AddressInfo).port
  return {
    port,
    address: `127.0.0.1:${port}`,
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise((resolve) => gate.close(() => resolve()))
    },
  }
}
