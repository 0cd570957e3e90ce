import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { type TunnelHandlerOptions, createTunnelHandler, type TunnelHandler } from './handler.js'
import { parseTarget } from './target.js'

/** What the app behind the tunnel saw of one request. */
export interface SeenRequest {
  method: string
  url: string
  headers: http.IncomingHttpHeaders
  body: Buffer
}

/** A real app on 127.0.0.1:0 that records every request; `answer` decides its reply. */
export interface StubApp {
  port: number
  seen: SeenRequest[]
  close(): Promise<void>
}

type Answer = (req: SeenRequest, res: http.ServerResponse) => void

const echo: Answer = (seen, res) => {
  res.writeHead(200, {
    'content-type': 'application/octet-stream',
    'x-app': 'yes',
    connection: 'keep-alive, x-app-hop',
    'x-app-hop': 'must-not-pass',
  })
  res.end(seen.body)
}

/** Starts a stub app (echoes the body by default). */
export async function startApp(answer: Answer = echo): Promise<StubApp> {
  const seen: SeenRequest[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const entry = {
        method: req.method!,
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks),
      }
      seen.push(entry)
      answer(entry, res)
    })
  })
  const port = await listen(server)
  return { port, seen, close: () => closeServer(server) }
}

/** A tunnel handler served on 127.0.0.1:0 (in place of the overlay) in front of `appPort`. */
export interface Front {
  port: number
  tunnel: TunnelHandler
  lines: { obj: Record<string, unknown>; msg: string }[]
  close(): Promise<void>
}

/** Starts a tunnel handler whose every caller is `caller` (unless given another callerOf). */
export async function startFront(
  appPort: number,
  opts: Partial<TunnelHandlerOptions> = {},
): Promise<Front> {
  const lines: Front['lines'] = []
  const record = (obj: object, msg: string) =>
    lines.push({ obj: obj as Record<string, unknown>, msg })
  const tunnel = createTunnelHandler({
    target: parseTarget(`http://127.0.0.1:${appPort}`),
    callerOf: () => ({ identityId: 'id-ci-job', name: 'ci-job' }),
    log: { info: record, warn: record },
    ...opts,
  })
  const server = http.createServer(tunnel.handle)
  const port = await listen(server)
  return {
    port,
    tunnel,
    lines,
    close: async () => {
      await tunnel.drain(1_000)
      server.closeAllConnections()
      await closeServer(server)
    },
  }
}

/** What a client got back. */
export interface Reply {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
  /** The `error.code` of a JSON refusal. */
  code?: string
}

/** Sends one request with node:http (which, unlike fetch, lets a test send any header). */
export function send(
  port: number,
  opts: {
    method?: string
    path?: string
    headers?: http.OutgoingHttpHeaders
    body?: Buffer | string | Buffer[]
  } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        method: opts.method ?? 'POST',
        path: opts.path ?? '/hook',
        headers: opts.headers,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', reject)
        res.on('end', () => {
          const body = Buffer.concat(chunks)
          let code: string | undefined
          if (String(res.headers['content-type']).startsWith('application/json')) {
            code = (JSON.parse(body.toString()) as { error?: { code?: string } }).error?.code
          }
          resolve({ status: res.statusCode!, headers: res.headers, body, code })
        })
      },
    )
    req.on('error', reject)
    const body = opts.body
    if (Array.isArray(body)) for (const part of body) req.write(part)
    else if (body !== undefined) req.write(body)
    req.end()
  })
}

/** A port on 127.0.0.1 where nothing listens (bound, then released). */
export async function deadPort(): Promise<number> {
  const server = http.createServer()
  const port = await listen(server)
  await closeServer(server)
  return port
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  )
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}
