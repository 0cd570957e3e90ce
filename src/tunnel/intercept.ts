import http from 'node:http'
import net from 'node:net'
import type { Duplex } from 'node:stream'
import { isZhError } from '../errors.js'
import type { TunnelLog } from './handler.js'
import { createInterceptHandler } from './intercept-http.js'
import { splice } from './splice.js'
import { isLoopbackHost } from './target.js'

/** Opens an end-to-end connection to a service (`zh.dial`). */
export type TunnelDial = (service: string) => Promise<Duplex>

/** Options of {@link interceptTunnel}. */
export interface InterceptTunnelOptions {
  service: string
  /** Where to listen; port 0 picks a free port. */
  host: string
  port: number
  /**
   * Speak HTTP locally and send requests over pooled keep-alive circuits (see
   * {@link createInterceptHandler}) instead of one dial per TCP connection. Default false: raw
   * bytes, for any protocol.
   */
  http?: boolean
  log?: TunnelLog
  /** How long open connections may run on close, ms; default 5 s. */
  graceMs?: number
}

/** A running intercept. */
export interface InterceptTunnel {
  /** The address it got (the real port when 0 was asked). */
  address: { host: string; port: number }
  /** Local client connections open now. */
  connections(): number
  /** Stops accepting, gives open connections the grace, then ends them. */
  close(): Promise<void>
}

/**
 * Intercepts a local port for an app that cannot embed the SDK. By default every TCP connection
 * accepted on `host:port` is piped, raw bytes both ways with backpressure and half-close, into a
 * new dial of `service` (a full end-to-end handshake per connection). With `http`, the port
 * serves HTTP and requests travel over a pool of keep-alive circuits, reused across client
 * connections. A refused dial closes that one connection (raw) or answers that request with its
 * code (HTTP), and logs the code; the listener keeps serving. Anyone who can reach the port acts
 * as this identity, so it stays on loopback unless you mean otherwise (a non-loopback bind is
 * logged as a warning).
 *
 * @example
 * ```ts
 * const zh = await connect(await loadIdentity('ci.json'))
 * const tunnel = await interceptTunnel((s) => zh.dial(s), { service: 'jenkins-webhook', host: '127.0.0.1', port: 0, http: true })
 * // curl http://127.0.0.1:${tunnel.address.port}/hook reaches the service's app
 * ```
 */
export async function interceptTunnel(
  dial: TunnelDial,
  opts: InterceptTunnelOptions,
): Promise<InterceptTunnel> {
  const graceMs = opts.graceMs ?? 5_000
  const open = new Set<Duplex>()
  const track = (socket: Duplex) => {
    open.add(socket)
    socket.once('close', () => open.delete(socket))
  }
  let server: net.Server
  let drain: () => Promise<void>
  if (opts.http) {
    const handler = createInterceptHandler({ service: opts.service, dial, log: opts.log })
    server = http.createServer(handler.handle).on('upgrade', handler.upgrade)
    server.on('connection', track)
    drain = () => handler.drain(graceMs)
  } else {
    server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
      track(client)
      void relay(dial, client, opts)
    })
    drain = () =>
      new Promise<void>((resolve) => {
        if (open.size === 0) return resolve()
        const timer = setTimeout(resolve, graceMs)
        timer.unref()
        server.once('close', () => {
          clearTimeout(timer)
          resolve()
        })
      })
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  server.on('error', (err) => opts.log?.warn({ err: err.message }, 'intercept listener error'))
  const bound = server.address() as net.AddressInfo
  const address = { host: bound.address, port: bound.port }
  if (!isLoopbackHost(address.host))
    opts.log?.warn(
      { address },
      'intercept listens on a non-loopback address: anyone who reaches it acts as this identity',
    )
  return {
    address,
    connections: () => open.size,
    async close() {
      // An http.Server also closes its idle keep-alive connections here.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      await drain()
      for (const socket of open) socket.destroy()
      await closed
    },
  }
}

/** Raw mode: one dial per accepted connection, spliced to it. */
async function relay(
  dial: TunnelDial,
  client: net.Socket,
  opts: InterceptTunnelOptions,
): Promise<void> {
  const started = performance.now()
  // Errors before the dial settles are the client's problem only: drop the connection.
  client.on('error', () => client.destroy())
  let remote: Duplex
  try {
    remote = await dial(opts.service)
  } catch (err) {
    const code = isZhError(err) ? err.code : 'ZH_INTERNAL'
    opts.log?.warn({ service: opts.service, code }, 'dial refused; connection closed')
    client.destroy()
    return
  }
  if (client.destroyed) return void remote.destroy()
  const { bytesIn, bytesOut } = await splice(client, remote)
  const ms = Math.round(performance.now() - started)
  opts.log?.info({ service: opts.service, bytesIn, bytesOut, ms }, 'intercepted connection')
}
