import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { parseHostPort } from '../../controller/layout.js'
import { ZhError, isZhError } from '../../errors.js'
import { ControllerClient } from '../../sdk/controller-client.js'
import type { IdentityFile } from '../../sdk/identity-file.js'
import { openDeliveries } from './deliveries.js'
import { gatewayDeliveries, type GatewayAdminTarget } from './gateway-deliveries.js'
import { LiveEvents } from './events.js'
import { allowedHosts, checkOrigin, isStateChanging, SECURITY_HEADERS } from './guard.js'
import { forward } from './proxy.js'
import { readCookie, SESSION_COOKIE, sessionCookie, Sessions } from './session.js'
import { staticFile } from './static.js'

/** Largest request body the console reads (a policy or identity form). */
const MAX_BODY = 64 * 1024
/** Where `npm run build` puts the front end (only it: the server's own code is not served). */
export const DEFAULT_ROOT = fileURLToPath(new URL('../../../dist/console/app', import.meta.url))

/** Options of {@link startConsole}. */
export interface ConsoleOptions {
  /** The admin identity: the console talks to the controller with it; the browser never sees it. */
  admin: IdentityFile
  /** Loopback only (default 127.0.0.1:0). */
  listen?: string
  /** The built front end (default dist/console/app). */
  root?: string
  /** A durable sender's SQLite outbox, for the Deliveries page (it must exist). */
  outbox?: string
  /** A running gateway's admin API, for the Deliveries page. */
  gateway?: GatewayAdminTarget
}

/** A running console. */
export interface RunningConsole {
  /** Where it answers, e.g. http://127.0.0.1:51234 */
  url: string
  /** The one-time login URL, printed once. */
  loginUrl: string
  close(): Promise<void>
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

/**
 * Serves the console on loopback: the built front end, a one-time login that starts a session
 * (HttpOnly, SameSite=Strict cookie), and `/api/...`: the session's CSRF token, the Live page's
 * server-sent events, and the controller calls its pages make, passed on with the admin
 * identity (like `kubectl proxy`). Every request must name the console's own Host, and come
 * from its own Origin (DNS rebinding, cross-site requests); every state-changing one must carry
 * the session's CSRF token.
 *
 * @example
 * const c = await startConsole({ admin: await loadIdentity('admin.json') })
 * console.log(c.loginUrl)
 */
export async function startConsole(opts: ConsoleOptions): Promise<RunningConsole> {
  const listen = opts.listen ?? '127.0.0.1:0'
  const bind = parseHostPort(listen)
  if (!bind || !LOOPBACK.has(bind.host)) throw new ZhError('ZH_CONSOLE_LISTEN_INVALID', listen)
  const root = opts.root ?? DEFAULT_ROOT
  const gateway = opts.gateway && gatewayDeliveries(opts.gateway)
  const deliveries = opts.outbox === undefined ? undefined : await openDeliveries(opts.outbox)
  const client = new ControllerClient(opts.admin)
  const sessions = new Sessions()
  const live = new LiveEvents(client)
  let hosts = new Set<string>()

  const server = createServer((req, res) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v)
    handle(req, res).catch((err: unknown) => fail(res, err))
  })

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    checkOrigin(req, hosts)
    const url = new URL(req.url ?? '/', 'http://console')
    if (url.pathname === '/login') {
      const id = sessions.redeem(url.searchParams.get('token') ?? '')
      res.writeHead(303, { 'set-cookie': sessionCookie(id), location: '/' }).end()
      return
    }
    if (!url.pathname.startsWith('/api/')) {
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new ZhError('ZH_NOT_FOUND')
      const file = await staticFile(root, url.pathname)
      if (!file) throw new ZhError('ZH_NOT_FOUND', url.pathname)
      res.writeHead(200, { 'content-type': file.type }).end(file.body)
      return
    }
    const session = sessions.require(readCookie(req.headers.cookie, SESSION_COOKIE))
    if (isStateChanging(req.method)) {
      const offered = req.headers['x-csrf-token']
      sessions.checkCsrf(session, typeof offered === 'string' ? offered : undefined)
    }
    if (url.pathname === '/api/session' && req.method === 'GET')
      return json(res, 200, {
        csrf: session.csrf,
        network: opts.admin.network,
        admin: opts.admin.name,
        controller: opts.admin.controller,
        deliveries: deliveries !== undefined,
        gateway: gateway !== undefined,
      })
    if (url.pathname === '/api/events' && req.method === 'GET') return live.attach(res)
    const delivery = deliveries?.route(req.method, url) ?? gateway?.route(req.method, url)
    if (delivery) return json(res, 200, await delivery)
    if (!url.pathname.startsWith('/api/v1/')) throw new ZhError('ZH_CONSOLE_ROUTE_REFUSED')
    const body = isStateChanging(req.method) ? await readJson(req) : undefined
    const path = url.pathname.slice('/api'.length)
    json(res, 200, await forward(client, req.method ?? 'GET', path, body))
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(bind.port, bind.host, () => resolve())
  }).catch(async (err: unknown) => {
    await deliveries?.close()
    throw err
  })
  const port = (server.address() as AddressInfo).port
  hosts = allowedHosts(bind.host, port)
  const host = bind.host.includes(':') ? `[${bind.host}]` : bind.host
  const url = `http://${host}:${port}`
  return {
    url,
    loginUrl: `${url}/login?token=${sessions.login}`,
    close: async () => {
      live.close()
      server.closeAllConnections()
      await new Promise((resolve) => server.close(resolve))
      await deliveries?.close()
    },
  }
}

function json(res: ServerResponse, status: number, data: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' })
  res.end(JSON.stringify(data ?? null))
}

function fail(res: ServerResponse, err: unknown): void {
  if (res.headersSent) return void res.destroy()
  const e = isZhError(err) ? err : new ZhError('ZH_INTERNAL')
  json(res, e.status, { error: { code: e.code, message: e.message } })
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY) throw new ZhError('ZH_BODY_TOO_LARGE')
    chunks.push(chunk)
  }
  if (size === 0) return undefined
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'))
  } catch {
    throw new ZhError('ZH_BAD_REQUEST', 'the body is not JSON')
  }
}
