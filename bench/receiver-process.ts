import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import { Duplex } from 'node:stream'
import tls from 'node:tls'
import pino from 'pino'
import { connect } from '../src/sdk/context.js'
import type { IdentityFile } from '../src/sdk/identity-file.js'
import { onChildStart, startChild } from './child-process.js'

/** How the HTTPS server's TLS runs inside a hop connection. */
export type HopMode = 'native' | 'jsStream'

/** What the parent sends the child to start it. */
interface Start {
  identity: IdentityFile
  service: string
  direct: { serverCert: string; serverKey: string }
}

/**
 * The receiving app in a process of its own, as a real receiver is: an HTTP handler served both
 * over the overlay (`zh.serve`) and as a plain HTTPS server for the direct baseline. With both
 * ends in one process a direct request never wakes another process, while an overlay request
 * wakes the router; here both lanes cross processes as they would in a deployment.
 *
 * For the bare relay lanes (see bare-relay.ts) the same HTTPS server also runs inside hop TLS
 * connections, the relay's, on its own native socket or over a JS stream as over a circuit.
 */
export interface ReceiverProcess {
  /** Port of the direct HTTPS server on 127.0.0.1. */
  httpsPort: number
  /** Ports of the hop TLS servers whose connections carry the HTTPS server's TLS. */
  hopPorts: Record<HopMode, number>
  stop(): Promise<void>
}

/** Starts the child and waits until it serves `service` on the overlay and HTTPS on loopback. */
export async function startReceiverProcess(start: Start): Promise<ReceiverProcess> {
  const child = await startChild<Ports>(import.meta.url, start, 'bench receiver')
  return { ...child.ready, stop: child.stop }
}

/** The receiving app of the latency benchmarks: reads the body, answers "ok". */
export function benchHandler(req: IncomingMessage, res: ServerResponse): void {
  req.resume()
  req.on('end', () => res.end('ok'))
}

async function runChild(start: Start): Promise<void> {
  const zh = await connect(start.identity, { log: pino({ level: 'silent' }) })
  await zh.serve(start.service, createHttpServer(benchHandler))
  const https = createHttpsServer(
    { cert: start.direct.serverCert, key: start.direct.serverKey },
    benchHandler,
  )
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r))
  const hops = {
    native: await hopServer(start, (hop) => https.emit('connection', hop)),
    jsStream: await hopServer(start, (hop) =>
      https.emit('connection', Duplex.from({ readable: hop, writable: hop })),
    ),
  }
  const port = (server: { address(): unknown }) => (server.address() as AddressInfo).port
  const ports: Ports = {
    httpsPort: port(https),
    hopPorts: { native: port(hops.native), jsStream: port(hops.jsStream) },
  }
  process.send!(ports)
  let stopping = false
  const stop = () => {
    if (stopping) return
    stopping = true
    https.close()
    hops.native.close()
    hops.jsStream.close()
    void zh.close().finally(() => process.exit(0))
  }
  process.once('SIGTERM', stop)
  // A parent that died without stopping us must not leave a server listening.
  process.once('disconnect', stop)
}

/** What the child reports once it serves. */
type Ports = Pick<ReceiverProcess, 'httpsPort' | 'hopPorts'>

/** A TLS 1.3 server on loopback that hands each connection, once secure, to `carry`. */
async function hopServer(start: Start, carry: (hop: tls.TLSSocket) => void): Promise<tls.Server> {
  const server = tls.createServer(
    { cert: start.direct.serverCert, key: start.direct.serverKey, minVersion: 'TLSv1.3' },
    (hop) => {
      hop.setNoDelay(true)
      hop.on('error', () => hop.destroy())
      carry(hop)
    },
  )
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return server
}

onChildStart(runChild)
