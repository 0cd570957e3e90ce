import http, { type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ZhError, describeCode, isZhError, type ZhCode } from '../errors.js'
import { secretEqual } from '../webhooks/crypto.js'
import type { GatewayAdminConfig } from './admin-config.js'
import type { Forwarder } from './forwarder.js'
import type { ForwardQueue, ForwardState, ListFilter } from './queue.js'

/** The admin API of a running gateway. */
export interface RunningGatewayAdmin {
  /** `http://127.0.0.1:PORT`, what `zerohook console --gateway` is given. */
  readonly url: string
  close(): Promise<void>
}

const STATES: ReadonlySet<string> = new Set<ForwardState>([
  'pending',
  'in-flight',
  'delivered',
  'rejected',
  'failed',
])
const REPLAY = /^\/v1\/deliveries\/([A-Za-z0-9_-]{1,64})\/replay$/

/**
 * Serves the gateway's queue to the console on a loopback listener: `GET /v1/deliveries
 * ?state=&route=&limit=&before=` lists webhooks newest first with their attempts (no headers,
 * no bodies), and `POST /v1/deliveries/:id/replay` puts a failed or rejected one back in line.
 * Every request needs the admin bearer token (compared in constant time) and a loopback Host;
 * request bodies are not read.
 *
 * @example
 * ```ts
 * const admin = await startGatewayAdmin(config.admin, { queue, forwarder })
 * admin.url // 'http://127.0.0.1:39121'
 * ```
 */
export async function startGatewayAdmin(
  config: GatewayAdminConfig,
  parts: { readonly queue: ForwardQueue; readonly forwarder: Forwarder },
): Promise<RunningGatewayAdmin> {
  const { queue, forwarder } = parts
  const route = (req: IncomingMessage): unknown => {
    authorize(req, config.token)
    const url = new URL(req.url ?? '/', 'http://gateway-admin')
    if (url.pathname === '/v1/deliveries' && req.method === 'GET')
      return { deliveries: queue.list(listFilter(url.searchParams)) }
    const replay = REPLAY.exec(url.pathname)
    if (replay && req.method === 'POST') return { replayed: forwarder.replay(replay[1]!) }
    throw new ZhError('ZH_NOT_FOUND', `${req.method ?? ''} ${url.pathname}`)
  }
  const server = http.createServer(
    { headersTimeout: 10_000, requestTimeout: 15_000, maxHeaderSize: 8192 },
    (req, res) => {
      let status = 200
      let body: unknown
      try {
        body = route(req)
      } catch (err) {
        const code: ZhCode = isZhError(err) ? err.code : 'ZH_INTERNAL'
        const described = describeCode(code)
        status = described.status
        body = { error: { code, message: described.message } }
      }
      answer(req, res, status, body)
    },
  )
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const { address, port } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

// The token, then the Host: a page in a browser on this machine (DNS rebinding) names its own
// host, and could not send the token anyway.
function authorize(req: IncomingMessage, token: string): void {
  const presented = /^Bearer ([^\s]+)$/.exec(req.headers.authorization ?? '')?.[1]
  if (!presented || !secretEqual(token, presented))
    throw new ZhError('ZH_GATEWAY_ADMIN_TOKEN_INVALID')
  const host = (req.headers.host ?? '').toLowerCase()
  if (!/^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|\[::1\]|localhost):\d{1,5}$/.test(host))
    throw new ZhError('ZH_BAD_REQUEST', 'the admin API answers to a loopback Host only')
}

function listFilter(query: URLSearchParams): ListFilter {
  const state = query.get('state') || undefined
  if (state !== undefined && !STATES.has(state))
    throw new ZhError('ZH_BAD_REQUEST', `state must be one of ${[...STATES].join(', ')}`)
  const limit = query.get('limit') || '100'
  if (!/^\d{1,4}$/.test(limit) || Number(limit) < 1 || Number(limit) > 1000)
    throw new ZhError('ZH_BAD_REQUEST', 'limit must be a number from 1 to 1000')
  const route = query.get('route') || undefined
  const before = query.get('before') || undefined
  return {
    limit: Number(limit),
    ...(state ? { state: state as ForwardState } : {}),
    ...(route ? { route } : {}),
    ...(before ? { before } : {}),
  }
}

function answer(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(text),
    ...(req.complete ? {} : { connection: 'close' }),
  })
  res.end(text)
  // A body nobody asked for is not read: drop it with the connection.
  if (!req.complete) req.resume()
}
