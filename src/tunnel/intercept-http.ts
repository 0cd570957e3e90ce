import type http from 'node:http'
import type { Duplex } from 'node:stream'
import { type ZhCode, ZhError, isZhError } from '../errors.js'
import { createOverlayAgent } from '../sdk/http/agent.js'
import { refusal, writeAnswer } from '../webhooks/middleware/answer.js'
import { type ForwardOptions, forwardRequest } from './forward.js'
import type { TunnelLog } from './handler.js'
import { proxiedRequestHeaders } from './headers.js'
import { createInFlight } from './in-flight.js'
import type { TunnelDial } from './intercept.js'
import { splice } from './splice.js'

/** Options of {@link createInterceptHandler}. */
export interface InterceptHttpOptions {
  service: string
  dial: TunnelDial
  log?: TunnelLog
}

/** The HTTP side of `tunnel intercept --http`: a request listener and an upgrade listener. */
export interface InterceptHttp {
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => void
  /** For the server's 'upgrade' event (WebSocket and friends): a circuit of its own, spliced. */
  upgrade: (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void
  /** Requests and upgraded connections being handled now. */
  inFlight: () => number
  /** Refuses new requests (503), waits for in-flight ones up to `graceMs`, then closes circuits. */
  drain: (graceMs: number) => Promise<void>
}

/**
 * Serves HTTP locally and sends each request over a pooled, keep-alive overlay agent, so that
 * circuits (each one a full end-to-end handshake) are reused across requests *and* across client
 * connections: a client that opens a connection per request (curl, most webhook senders) pays
 * for one loopback TCP connection, not for a dial. Hop-by-hop headers are dropped both ways, the
 * rest passes as it came; bodies stream with backpressure. A refused dial is answered with its
 * code (`{ "error": { "code", "message" } }`, the registry's status) and logged; an upgrade
 * (WebSocket) gets a circuit of its own and then raw bytes, as without `--http`.
 *
 * @example
 * ```ts
 * const intercept = createInterceptHandler({ service: 'jenkins-webhook', dial: (s) => zh.dial(s) })
 * const server = http.createServer(intercept.handle).on('upgrade', intercept.upgrade)
 * ```
 */
export function createInterceptHandler(opts: InterceptHttpOptions): InterceptHttp {
  const { service } = opts
  const agent = createOverlayAgent(opts.dial)
  const forward: ForwardOptions = {
    target: { host: service, port: 80 },
    agent,
    unreachable: 'ZH_CONNECT_FAILED',
  }
  const inFlight = createInFlight()
  const upgraded = new Set<Duplex>()
  let draining = false

  /** The code to answer a failure with; logged unless it is ours or the client already left. */
  const failed = (err: unknown, client: Duplex | null): ZhCode => {
    const code = isZhError(err) ? err.code : 'ZH_INTERNAL'
    if (code !== 'ZH_TUNNEL_CLOSING' && !client?.destroyed)
      opts.log?.warn({ service, code }, 'overlay request failed')
    return code
  }

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const started = performance.now()
    const leave = inFlight.enter()
    const line = { service, method: req.method, path: (req.url ?? '/').split('?')[0] }
    const sent = draining
      ? Promise.reject(new ZhError('ZH_TUNNEL_CLOSING'))
      : forwardRequest(req, res, proxiedRequestHeaders(req.headers), undefined, forward)
    sent
      .then((status) => ({ status, code: undefined as ZhCode | undefined }))
      .catch((err: unknown) => {
        const code = failed(err, req.socket)
        writeAnswer(req, res, refusal(code))
        return { status: res.statusCode, code }
      })
      .then(({ status, code }) => {
        const ms = Math.round(performance.now() - started)
        opts.log?.info({ ...line, status, ms, ...(code ? { code } : {}) }, 'intercepted request')
      })
      .finally(leave)
      .catch(() => undefined)
  }

  const upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer): void => {
    const started = performance.now()
    socket.on('error', () => socket.destroy())
    if (draining) return void socket.destroy()
    const leave = inFlight.enter()
    socket.once('close', leave)
    opts.dial(service).then(
      async (remote) => {
        if (socket.destroyed) return void remote.destroy()
        upgraded.add(socket)
        remote.write(requestHead(req))
        if (head.length > 0) remote.write(head)
        const { bytesIn, bytesOut } = await splice(socket, remote)
        upgraded.delete(socket)
        const ms = Math.round(performance.now() - started)
        const path = (req.url ?? '/').split('?')[0]
        opts.log?.info({ service, path, bytesIn, bytesOut, ms }, 'intercepted upgrade')
      },
      (err: unknown) => {
        const answer = refusal(failed(err, socket))
        const headers = Object.entries({ ...answer.headers, connection: 'close' })
        socket.end(
          `HTTP/1.1 ${answer.status} Refused\r\n` +
            headers.map(([k, v]) => `${k}: ${v}\r\n`).join('') +
            `content-length: ${Buffer.byteLength(answer.body)}\r\n\r\n${answer.body}`,
        )
      },
    )
  }

  return {
    handle,
    upgrade,
    inFlight: inFlight.count,
    async drain(graceMs) {
      draining = true
      await inFlight.idle(graceMs)
      for (const socket of upgraded) socket.destroy()
      agent.destroy()
    },
  }
}

/** The request line and headers as the client sent them, for an upgrade's own circuit. */
function requestHead(req: http.IncomingMessage): string {
  let head = `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n`
  const raw = req.rawHeaders
  for (let i = 0; i + 1 < raw.length; i += 2) head += `${raw[i]}: ${raw[i + 1]}\r\n`
  return head + '\r\n'
}
