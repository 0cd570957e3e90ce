import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { request } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type Zerohook } from '../src/sdk/index.js'
import { startDaemon, stopAllDaemons, type Daemon } from './helpers/cli.js'
import { startNetwork, type TestNetwork } from './helpers/network.js'

/** The app beside the tunnel host: plain HTTP on loopback; counts the TCP connections it gets. */
async function startLocalApp() {
  const seen: { url: string; identity: unknown }[] = []
  let connections = 0
  const server = http.createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      seen.push({ url: req.url!, identity: req.headers['x-zerohook-identity'] })
      res.end('ok')
    })
  })
  // As most apps (Jenkins, a Node app behind nginx) keep connections longer than Node's 5 s.
  server.keepAliveTimeout = 60_000
  server.on('connection', () => connections++)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    connections: () => connections,
    close: () => {
      server.closeAllConnections()
      return new Promise<void>((r) => server.close(() => r()))
    },
  }
}

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** A POST on a new TCP connection, closed after the answer, as curl sends it. */
function postFresh(port: number, path: string) {
  return new Promise<{ status: number; body: string; code?: string }>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path, agent: false },
      (res) => {
        let body = ''
        res.on('data', (c: Buffer) => (body += c.toString()))
        res.on('end', () => {
          const code = res.headers['zerohook-code']
          resolve({
            status: res.statusCode!,
            body,
            code: typeof code === 'string' ? code : undefined,
          })
        })
      },
    )
    req.on('error', reject)
    req.end('{"build":1}')
  })
}

describe(
  'tunnel connection reuse (real controller, router and tunnel processes)',
  { timeout: 240_000 },
  () => {
    let net: TestNetwork
    let app: Awaited<ReturnType<typeof startLocalApp>>
    let metricsPort: number
    let sender: Zerohook
    let senderFile: string
    let host: Daemon

    /** Circuits the router accepted so far (each one a dial, so an end-to-end handshake). */
    const circuits = async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
      return Number(/^zh_router_dials_total\{result="accepted"\} (\d+)/m.exec(text)?.[1] ?? 0)
    }

    const intercept = async (service: string) => {
      const daemon = startDaemon([
        'tunnel',
        'intercept',
        '--http',
        '--identity',
        senderFile,
        '--service',
        service,
        '--listen',
        '127.0.0.1:0',
      ])
      const line = await daemon.waitFor((l) => l.msg === 'tunnel intercept listening', 60_000)
      expect(line.mode).toBe('http')
      return { daemon, port: line.port as number }
    }

    beforeAll(async () => {
      net = await startNetwork(0)
      // A router of our own, for its metrics (the helper's routers capture traffic instead).
      const token = join(net.dir, 'r.jwt')
      await net.admin('router', 'create', 'r', '--out', token)
      const router = startDaemon([
        'router',
        'run',
        '--dir',
        join(net.dir, 'r'),
        '--enroll',
        token,
        '--listen',
        '127.0.0.1:0',
        '--metrics',
        '127.0.0.1:0',
      ])
      metricsPort = (await router.waitFor((l) => l.msg === 'router listening'))
        .metricsPort as number
      await router.waitFor((l) => l.msg === 'control channel up')
      await net.admin('service', 'create', 'reuse-hook', '--attr', 'tunneled')
      await net.admin('service', 'create', 'private-hook', '--attr', 'private')
      await net.policy('senders-dial', 'dial', '#senders', '#tunneled')
      await net.policy('hosts-bind', 'bind', '#hosts', '#tunneled,#private')
      const jenkins = await net.identity('jenkins', ['hosts'])
      const ci = await net.identity('ci-job', ['senders'])
      senderFile = ci.file
      app = await startLocalApp()
      host = startDaemon([
        'tunnel',
        'host',
        '--identity',
        jenkins.file,
        '--service',
        'reuse-hook',
        '--to',
        `http://127.0.0.1:${app.port}`,
      ])
      await host.waitFor((l) => l.msg === 'tunnel host ready', 60_000)
      sender = await connect(ci.identity)
    }, 180_000)

    afterAll(async () => {
      await sender?.close()
      await stopAllDaemons()
      await app?.close()
      await net?.cleanup()
    })

    it('intercept --http: ten POSTs, each on a new client connection, take one circuit and one app connection', async () => {
      const { daemon, port } = await intercept('reuse-hook')
      const before = await circuits()
      const appBefore = app.connections()
      for (let i = 0; i < 10; i++) {
        const reply = await postFresh(port, `/hook/${i}?token=SECRET-Q`)
        expect([reply.status, reply.body]).toEqual([200, 'ok'])
      }
      expect((await circuits()) - before).toBe(1)
      expect(app.connections() - appBefore).toBeLessThanOrEqual(1)
      expect(app.connections()).toBe(1)
      // The caller the app sees is the intercept's identity, proven end to end.
      expect(app.seen.slice(-10).map((s) => s.identity)).toEqual(Array(10).fill(sender.id.name))
      // Log lines go out in batches, a quarter of a second apart at most.
      const requests = () => daemon.lines.filter((l) => l.msg === 'intercepted request')
      await waitUntil(() => requests().length >= 10)
      const lines = requests()
      expect(lines).toHaveLength(10)
      expect(lines[0]).toMatchObject({ method: 'POST', path: '/hook/0', status: 200 })
      expect(JSON.stringify(daemon.lines)).not.toContain('SECRET-Q')
      expect(await daemon.stop()).toBe(0)
    })

    it("tunnel host: the SDK's circuit and the app connection outlive a 6 s pause", async () => {
      const dispatcher = sender.dispatcher()
      const post = async () => {
        const res = await request('http://reuse-hook/hook', {
          method: 'POST',
          body: '{}',
          dispatcher,
        })
        expect(await res.body.text()).toBe('ok')
      }
      const appBefore = app.connections()
      const before = await circuits()
      await post()
      await new Promise((r) => setTimeout(r, 6_000))
      await post()
      expect((await circuits()) - before).toBe(1)
      expect(app.connections()).toBe(appBefore)
      await dispatcher.close()
    })

    it('intercept --http answers a service it may not dial with the code, logs it, and keeps serving', async () => {
      const { daemon, port } = await intercept('private-hook')
      for (let i = 0; i < 2; i++) {
        const reply = await postFresh(port, '/hook')
        expect([reply.status, reply.code]).toEqual([403, 'ZH_SDK_NO_GRANT'])
        expect(JSON.parse(reply.body)).toMatchObject({ error: { code: 'ZH_SDK_NO_GRANT' } })
      }
      const refusals = () => daemon.lines.filter((l) => l.msg === 'overlay request failed')
      await waitUntil(() => refusals().length >= 2)
      expect(refusals().map((l) => l.code)).toEqual(['ZH_SDK_NO_GRANT', 'ZH_SDK_NO_GRANT'])
      expect(await daemon.stop()).toBe(0)
    })
  },
)
