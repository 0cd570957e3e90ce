import net from 'node:net'
import type { Duplex } from 'node:stream'
import { isZhError } from '../errors.js'
import type { TunnelLog } from './handler.js'
import { isLoopbackHost } from './target.js'

/** Opens an end-to-end connection to a service (`zh.dial`). */
export type TunnelDial = (service: string) => Promise<Duplex>

/** Options of {@link interceptTunnel}. */
export interface InterceptTunnelOptions {
  service: string
  /** Where to listen; port 0 picks a free port. */
  host: string
  port: number
  log?: TunnelLog
  /** How long open connections may run on close, ms; default 5 s. */
  graceMs?: number
}

/** A running intercept. */
export interface InterceptTunnel {
  /** The address it got (the real port when 0 was asked). */
  address: { host: string; port: number }
  /** Connections piped now. */
  connections(): number
  /** Stops accepting, gives open connections the grace, then ends them. */
  close(): Promise<void>
}

/**
 * Intercepts a local port for an app that cannot embed the SDK: every TCP connection accepted on
 * `host:port` is piped, raw bytes both ways with backpressure and half-close, into a new dial of
 * `service`. A refused dial (no grant, no terminator) closes that one connection and logs its
 * code; the listener keeps serving. Anyone who can reach the port acts as this identity, so it
 * stays on loopback unless you mean otherwise (a non-loopback bind is logged as a warning).
 *
 * @example
 * ```ts
 * const zh = await connect(await loadIdentity('ci.json'))
 * const tunnel = await interceptTunnel((s) => zh.dial(s), { service: 'jenkins-webhook', host: '127.0.0.1', port: 0 })
 * // curl http://127.0.0.1:${tunnel.address.port}/hook reaches the service's app
 * ```
 */
export async function interceptTunnel(
  dial: TunnelDial,
  opts: InterceptTunnelOptions,
): Promise<InterceptTunnel> {
  const open = new Set<net.Socket>()
  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true }, (client) => {
    open.add(client)
    client.once('close', () => open.delete(client))
    void relay(client)
  })

  const relay = async (client: net.Socket): Promise<void> => {
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
    if (client.destroyed) {
      remote.destroy()
      return
    }
    let bytesIn = 0
    let bytesOut = 0
    client.on('data', (c: Buffer) => (bytesIn += c.length))
    remote.on('data', (c: Buffer) => (bytesOut += c.length))
    // pipe() ends the other side's writable when one side ends (half-close) and applies
    // backpressure; an error on either side tears both down.
    const teardown = () => {
      client.destroy()
      remote.destroy()
    }
    remote.on('error', teardown)
    client.on('error', teardown)
    // When one side is gone for good, nothing more can flow: close the other once what it was
    // already given is flushed (or at once, when that side never ended cleanly).
    client.once('close', () => closeAfterFlush(remote))
    remote.once('close', () => closeAfterFlush(client))
    remote.once('close', () => {
      const ms = Math.round(performance.now() - started)
      opts.log?.info({ service: opts.service, bytesIn, bytesOut, ms }, 'intercepted connection')
    })
    client.pipe(remote)
    remote.pipe(client)
    client.resume()
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
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      const grace = new Promise<void>((resolve) =>
        setTimeout(resolve, opts.graceMs ?? 5_000).unref(),
      )
      await Promise.race([closed, grace])
      for (const socket of open) socket.destroy()
      await closed
    },
  }
}

function closeAfterFlush(socket: Duplex): void {
  if (socket.destroyed) return
  if (!socket.writableEnded) socket.destroy()
  else if (socket.writableFinished) socket.destroy()
  else socket.once('finish', () => socket.destroy())
}
