import type { AddressInfo } from 'node:net'
import { Duplex } from 'node:stream'
import tls from 'node:tls'
import { Agent } from 'undici'
import { onChildStart, startChild } from './child-process.js'

/** TLS material of the bench's CA: the relay serves it and trusts it. */
interface Material {
  ca: string
  serverCert: string
  serverKey: string
}

/** What the parent sends the child to start it. */
interface Start extends Material {
  /** Port on 127.0.0.1 each accepted connection is relayed to. */
  targetPort: number
}

/**
 * The least a relay in Node can be, in a process of its own: a TLS server that pipes each
 * connection into a new TLS connection to one fixed target. No multiplexing, no flow control but
 * TCP's, no identities or grants. Bulk and latency through it, with end-to-end TLS inside, are the
 * floors the overlay is compared with: what one relay hop costs here before anything zerohook does.
 */
export interface BareRelay {
  /** Port of the relay on 127.0.0.1. */
  port: number
  pid: number
  stop(): Promise<void>
}

/** Starts the relay and waits until it listens. */
export async function startBareRelay(start: Start): Promise<BareRelay> {
  const child = await startChild<{ port: number }>(import.meta.url, start, 'bench relay')
  return { port: child.ready.port, pid: child.pid, stop: child.stop }
}

/**
 * An undici Agent whose connections are TLS inside hop TLS to the bare relay at `relayPort`: on
 * the hop socket itself (`native`) or over a JS stream, as over a circuit (`jsStream`). The URL's
 * host does not matter; every connection goes to the relay.
 */
export function bareRelayAgent(
  material: Pick<Material, 'ca'>,
  relayPort: number,
  mode: 'native' | 'jsStream',
): Agent {
  const trust = { ca: material.ca, checkServerIdentity: () => undefined }
  return new Agent({
    connect: (_options, callback) => {
      let called = false
      const fail = (err: Error) => {
        if (!called) callback(err, null)
        called = true
      }
      const done = (socket: tls.TLSSocket) => {
        if (!called) callback(null, socket)
        called = true
      }
      const hop = tls.connect({ port: relayPort, host: '127.0.0.1', ...trust })
      hop.setNoDelay(true)
      hop.once('error', fail)
      hop.once('secureConnect', () => {
        const carrier = mode === 'native' ? hop : Duplex.from({ readable: hop, writable: hop })
        const inner = tls.connect({ socket: carrier, ...trust })
        inner.once('error', fail)
        inner.once('secureConnect', () => done(inner))
      })
    },
  })
}

function runChild(start: Start): void {
  const server = tls.createServer(
    { cert: start.serverCert, key: start.serverKey, minVersion: 'TLSv1.3' },
    (inbound) => {
      inbound.setNoDelay(true)
      const outbound = tls.connect({
        port: start.targetPort,
        host: '127.0.0.1',
        ca: start.ca,
        checkServerIdentity: () => undefined,
      })
      outbound.setNoDelay(true)
      inbound.pipe(outbound).pipe(inbound)
      const close = () => (inbound.destroy(), outbound.destroy())
      inbound.once('error', close)
      outbound.once('error', close)
    },
  )
  server.listen(0, '127.0.0.1', () => {
    process.send!({ port: (server.address() as AddressInfo).port })
  })
  process.once('SIGTERM', () => process.exit(0))
  // A parent that died without stopping us must not leave a relay listening.
  process.once('disconnect', () => process.exit(0))
}

onChildStart(runChild)
