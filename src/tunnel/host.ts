import http from 'node:http'
import type { Duplex } from 'node:stream'
import { getPeerIdentity } from '../sdk/http/serve.js'
import type { Zerohook } from '../sdk/context.js'
import {
  DEFAULT_UPSTREAM_TIMEOUT_MS,
  type TunnelHandlerOptions,
  createTunnelHandler,
} from './handler.js'

/**
 * How long a caller's idle connection (a circuit at the router, one end-to-end handshake to
 * make again) stays open between requests. Node's default of 5 s would make a sender that posts
 * a webhook every few seconds pay a new dial for each; a minute keeps it pooled while it is busy
 * and still lets the circuits of quiet senders go. The `Keep-Alive: timeout=60` hint tells
 * undici and http.Agent to keep it that long on their side too.
 */
export const HOST_KEEP_ALIVE_MS = 60_000
/** The longest a caller's connection may stay silent mid-request before it is cut. */
const IDLE_MS = 120_000

/** Options of {@link hostTunnel}. */
export interface HostTunnelOptions extends Omit<TunnelHandlerOptions, 'callerOf'> {
  /** The service to bind. */
  service: string
  /** How long in-flight requests may run on close, ms; default 5 s. */
  graceMs?: number
}

/** A running tunnel host. */
export interface HostTunnel {
  service: string
  /** Requests being handled now. */
  inFlight: () => number
  /** Unbinds the service, gives in-flight requests the grace, then ends every connection. */
  close(): Promise<void>
}

/**
 * Hosts a service for an app that cannot embed the SDK: binds `service` with an `http.Server`
 * that never listens, and forwards each authorized request to the app at `target`, with the
 * caller's proven identity in `X-Zerohook-Identity` / `X-Zerohook-Identity-Id` (anything the
 * caller sent under `X-Zerohook-*` is removed first). With `verify`, webhooks are checked before
 * the app sees a byte. The process opens no listening port.
 *
 * @example
 * ```ts
 * const zh = await connect(await loadIdentity('jenkins.json'))
 * const tunnel = await hostTunnel(zh, {
 *   service: 'jenkins-webhook',
 *   target: parseTarget('http://127.0.0.1:8080'),
 *   verify: { scheme: 'github', secrets: [secret], replay: createMemoryReplayStore() },
 * })
 * // later: await tunnel.close(); await zh.close()
 * ```
 */
export async function hostTunnel(
  zh: Pick<Zerohook, 'serve'>,
  opts: HostTunnelOptions,
): Promise<HostTunnel> {
  const tunnel = createTunnelHandler({ ...opts, callerOf: getPeerIdentity })
  const server = http.createServer(tunnel.handle)
  // A server that never listens does not track its connections (closeAllConnections is a no-op
  // there), so the tunnel keeps them itself to end them on close.
  const sockets = new Set<Duplex>()
  server.on('connection', (socket: Duplex) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  server.keepAliveTimeout = HOST_KEEP_ALIVE_MS
  // A caller silent mid-request holds a circuit at the router: end it after two minutes, or
  // later when the app may take longer than that to answer.
  server.timeout = Math.max(
    IDLE_MS,
    (opts.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS) + 5_000,
  )
  const listener = await zh.serve(opts.service, server)
  return {
    service: opts.service,
    inFlight: tunnel.inFlight,
    async close() {
      listener.close()
      await tunnel.drain(opts.graceMs ?? 5_000)
      for (const socket of sockets) socket.destroy()
    },
  }
}
