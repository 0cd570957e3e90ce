import { randomBytes } from 'node:crypto'
import http from 'node:http'
import net from 'node:net'
import { fetch } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import { createFakeOverlay, type FakeOverlay } from '../sdk/http/http.test-util.js'
import { getPeerIdentity, serveOverlay } from '../sdk/http/serve.js'
import { interceptTunnel, type InterceptTunnel } from './intercept.js'
import { send } from './tunnel.test-util.js'

const SERVICE = 'jenkins-webhook'

/** What the served app saw of one request. */
interface Seen {
  url: string
  headers: http.IncomingHttpHeaders
  body: Buffer
  peer: string | undefined
}

let overlay: FakeOverlay | undefined
let served: http.Server | undefined
let tunnel: InterceptTunnel | undefined

afterEach(async () => {
  await tunnel?.close()
  served?.closeAllConnections()
  overlay?.close()
  tunnel = served = overlay = undefined
})

/**
 * An app served over a fake overlay (no routers) and an HTTP intercept in front of it; `circuits`
 * counts the connections the app got over the overlay, `overlay.dials()` the dials made.
 */
async function start(
  opts: {
    e2e?: boolean
    answer?: (seen: Seen, res: http.ServerResponse) => void
    graceMs?: number
  } = {},
) {
  overlay = await createFakeOverlay({ e2e: opts.e2e ?? false })
  const seen: Seen[] = []
  let circuits = 0
  served = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const entry = {
        url: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks),
        peer: getPeerIdentity(req)?.identityId,
      }
      seen.push(entry)
      if (opts.answer) return opts.answer(entry, res)
      res.writeHead(200, { 'x-app': 'yes', connection: 'keep-alive, x-app-hop', 'x-app-hop': 'no' })
      res.end(entry.body)
    })
  })
  served.keepAliveTimeout = 60_000
  served.on('connection', () => circuits++)
  serveOverlay(served, overlay.connections)
  const lines: { obj: Record<string, unknown>; msg: string }[] = []
  const record = (obj: object, msg: string) =>
    lines.push({ obj: obj as Record<string, unknown>, msg })
  tunnel = await interceptTunnel(overlay.dial, {
    service: SERVICE,
    host: '127.0.0.1',
    port: 0,
    http: true,
    graceMs: opts.graceMs ?? 1_000,
    log: { info: record, warn: record },
  })
  return { port: tunnel.address.port, seen, lines, circuits: () => circuits, overlay }
}

describe.each([false, true])('tunnel intercept --http (end-to-end layer: %s)', (e2e) => {
  it('reuses one circuit for requests that each come on a new client connection', async () => {
    const bed = await start({ e2e })
    let clientConnections = 0
    for (let i = 0; i < 10; i++) {
      // agent: false is a TCP connection per request, as curl and many webhook senders do.
      const reply = await send(bed.port, { path: `/hook/${i}`, body: `payload-${i}` })
      expect(reply.status).toBe(200)
      expect(reply.body.toString()).toBe(`payload-${i}`)
      clientConnections++
    }
    expect(clientConnections).toBe(10)
    expect(bed.overlay.dials()).toBe(1)
    expect(bed.circuits()).toBe(1)
    expect(bed.seen.map((s) => s.url)).toEqual(Array.from({ length: 10 }, (_, i) => `/hook/${i}`))
    expect(bed.seen.every((s) => s.peer === 'ci-job')).toBe(true)
  })
})

describe('tunnel intercept --http', () => {
  it('reuses the circuit for a keep-alive client too', async () => {
    const bed = await start()
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`http://127.0.0.1:${bed.port}/k`, { method: 'POST', body: 'x' })
      expect(await res.text()).toBe('x')
    }
    expect(bed.overlay.dials()).toBe(1)
  })

  it('opens more circuits for concurrent requests, then pools them', async () => {
    // The app answers a round only once all four requests are at it: they overlap for sure.
    let held: (() => void)[] = []
    const bed = await start({
      answer: (seen, res) => {
        held.push(() => res.end(seen.body))
        if (held.length < 4) return
        for (const release of held) release()
        held = []
      },
    })
    const bodies = Array.from({ length: 4 }, () => randomBytes(256 * 1024))
    const replies = await Promise.all(bodies.map((body) => send(bed.port, { body })))
    expect(replies.map((r, i) => r.body.equals(bodies[i]!))).toEqual([true, true, true, true])
    expect(bed.overlay.dials()).toBe(4)
    await new Promise((r) => setImmediate(r))
    await Promise.all(bodies.map((body) => send(bed.port, { body })))
    expect(bed.overlay.dials()).toBe(4)
  })

  it('drops hop-by-hop headers both ways, keeps the rest and the Host the client used', async () => {
    const bed = await start()
    const reply = await send(bed.port, {
      path: '/hook?x=1',
      headers: {
        'content-type': 'application/json',
        connection: 'keep-alive, x-hop',
        'x-hop': 'private',
        'proxy-authorization': 'Basic c2VjcmV0',
        'x-custom': 'kept',
      },
      body: '{"a":1}',
    })
    expect(reply.status).toBe(200)
    expect(reply.headers['x-app']).toBe('yes')
    expect(reply.headers['x-app-hop']).toBeUndefined()
    const seen = bed.seen[0]!
    expect(seen.url).toBe('/hook?x=1')
    expect(seen.headers.host).toBe(`127.0.0.1:${bed.port}`)
    expect(seen.headers['x-custom']).toBe('kept')
    expect(seen.headers['content-type']).toBe('application/json')
    expect(seen.headers['x-hop']).toBeUndefined()
    expect(seen.headers['proxy-authorization']).toBeUndefined()
  })

  it('streams large bodies both ways, chunked, over the pooled circuit', async () => {
    const bed = await start()
    for (let round = 0; round < 2; round++) {
      const parts = Array.from({ length: 48 }, (_, i) => Buffer.alloc(64 * 1024, i + round))
      const reply = await send(bed.port, { body: parts })
      expect(reply.status).toBe(200)
      expect(reply.body.equals(Buffer.concat(parts))).toBe(true)
    }
    expect(bed.overlay.dials()).toBe(1)
  })

  it('logs one line per request with method, path, status and ms; no body or query', async () => {
    const bed = await start()
    await send(bed.port, { path: '/hook?token=SECRET-Q', body: 'BODY-MARKER' })
    const lines = bed.lines.filter((l) => l.msg === 'intercepted request')
    expect(lines).toHaveLength(1)
    expect(lines[0]!.obj).toMatchObject({
      service: SERVICE,
      method: 'POST',
      path: '/hook',
      status: 200,
    })
    expect(typeof lines[0]!.obj.ms).toBe('number')
    expect(JSON.stringify(bed.lines)).not.toMatch(/SECRET-Q|BODY-MARKER/)
  })

  it('answers a refused dial with its code, logs it, and keeps serving', async () => {
    overlay = await createFakeOverlay({ e2e: false })
    const warnings: Record<string, unknown>[] = []
    tunnel = await interceptTunnel(overlay.dial, {
      service: 'billing-webhook', // the fake overlay has no terminator for it
      host: '127.0.0.1',
      port: 0,
      http: true,
      log: { info: () => undefined, warn: (o) => warnings.push(o as Record<string, unknown>) },
    })
    for (let i = 0; i < 2; i++) {
      const reply = await send(tunnel.address.port, { body: 'x' })
      expect([reply.status, reply.code]).toEqual([404, 'ZH_ROUTER_NO_TERMINATOR'])
      expect(reply.headers['zerohook-code']).toBe('ZH_ROUTER_NO_TERMINATOR')
    }
    expect(warnings.map((w) => w.code)).toEqual([
      'ZH_ROUTER_NO_TERMINATOR',
      'ZH_ROUTER_NO_TERMINATOR',
    ])
  })

  it('gives an upgrade (WebSocket) a circuit of its own and then carries raw bytes', async () => {
    const bed = await start()
    served!.on('upgrade', (req: http.IncomingMessage, socket: net.Socket, head: Buffer) => {
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nupgrade: echo\r\nconnection: upgrade\r\n' +
          `x-path: ${req.url}\r\n\r\n`,
      )
      if (head.length) socket.write(head)
      socket.pipe(socket)
    })
    await send(bed.port, { body: 'pooled first' })
    const got = await new Promise<string>((resolve, reject) => {
      const s = net.connect(bed.port, '127.0.0.1', () =>
        s.write('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: echo\r\n\r\nping'),
      )
      let text = ''
      s.on('data', (c: Buffer) => {
        text += c.toString()
        if (text.endsWith('ping')) {
          s.end()
          resolve(text)
        }
      })
      s.on('error', reject)
    })
    expect(got).toMatch(/^HTTP\/1.1 101 /)
    expect(got).toContain('x-path: /ws')
    expect(bed.overlay.dials()).toBe(2)
    // The upgraded circuit was never pooled; the first one still is.
    expect((await send(bed.port, { body: 'pooled again' })).body.toString()).toBe('pooled again')
    expect(bed.overlay.dials()).toBe(2)
  })

  it('on close, finishes the request in flight and ends idle connections without the grace', async () => {
    let release: () => void = () => undefined
    const bed = await start({
      answer: (seen, res) => {
        if (seen.url === '/slow') release = () => res.end('late')
        else res.end('quick')
      },
      graceMs: 4_000,
    })
    // A keep-alive client connection, idle when the tunnel closes.
    const agent = new http.Agent({ keepAlive: true })
    const post = (path: string) =>
      new Promise<string>((resolve, reject) => {
        const req = http.request({ port: bed.port, host: '127.0.0.1', method: 'POST', path, agent })
        req.on('response', (r) => {
          let text = ''
          r.on('data', (c: Buffer) => (text += c.toString()))
          r.on('end', () => resolve(text))
        })
        req.on('error', reject)
        req.end('x')
      })
    expect(await post('/quick')).toBe('quick')
    const slow = post('/slow')
    while (bed.seen.length < 2) await new Promise((r) => setTimeout(r, 10))
    const started = performance.now()
    const closing = tunnel!.close()
    const other = await fetch(`http://127.0.0.1:${bed.port}/`).then(
      (r) => r.status,
      () => 'refused',
    )
    expect(other).toBe('refused') // no longer accepting connections
    setTimeout(() => release(), 100)
    expect(await slow).toBe('late')
    await closing
    // It waited for the request, not for the grace (4 s) the idle connection would have cost.
    expect(performance.now() - started).toBeLessThan(2_500)
    tunnel = undefined
    agent.destroy()
  })
})
