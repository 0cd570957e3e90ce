import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { createHmac } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fetch, type Response } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type Zerohook } from '../src/sdk/index.js'
import { signWebhook } from '../src/webhooks/sign.js'
import { runCli, startDaemon, stopAllDaemons, type Daemon } from './helpers/cli.js'
import { startNetwork, type TestNetwork } from './helpers/network.js'
import { listeningSockets } from './helpers/sockets.js'

const GH_SECRET = 'gh-tunnel-system-secret'
const STD_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

interface Seen {
  url: string
  headers: http.IncomingHttpHeaders
  body: string
}

/** The unmodified app beside the tunnel: plain HTTP on loopback, it records what reached it. */
async function startLocalApp(): Promise<{ port: number; seen: Seen[]; close(): Promise<void> }> {
  const seen: Seen[] = []
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => (body += c.toString()))
    req.on('end', () => {
      seen.push({ url: req.url!, headers: req.headers, body })
      // /slow answers late, to catch a tunnel that drops in-flight requests on SIGTERM.
      const delay = req.url === '/slow' ? 1_500 : 0
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ ok: true, identity: req.headers['x-zerohook-identity'] }))
      }, delay)
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as AddressInfo).port,
    seen,
    close: () => {
      server.closeAllConnections()
      return new Promise((r) => server.close(() => r()))
    },
  }
}

async function waitUntil(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

const ready = (l: Record<string, unknown>) => l.msg === 'tunnel host ready'

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

describe('tunnel CLI refuses bad arguments before connecting', { timeout: 60_000 }, () => {
  const host = ['tunnel', 'host', '--identity', 'missing.json', '--service', 's']
  it.each([
    [[...host, '--to', 'https://127.0.0.1:8443'], 1, 'ZH_TUNNEL_TARGET_INVALID'],
    [[...host, '--to', 'http://10.1.2.3:80'], 1, 'ZH_TUNNEL_TARGET_INVALID'],
    [[...host, '--to', 'http://127.0.0.1:80', '--secret', 's'], 2, 'ZH_USAGE'],
    [[...host, '--to', 'http://127.0.0.1:80', '--verify', 'github'], 2, 'ZH_USAGE'],
    // Asana hands its secret over in a handshake: without --state it would have nowhere to go.
    [[...host, '--to', 'http://127.0.0.1:80', '--verify', 'asana'], 2, 'ZH_USAGE'],
    [
      [...host, '--to', 'http://127.0.0.1:80', '--verify', 'nope', '--secret', 's'],
      1,
      'ZH_WEBHOOK_SCHEME_UNKNOWN',
    ],
    [[...host, '--to', 'http://127.0.0.1:80', '--max-body', 'lots'], 2, 'ZH_USAGE'],
    [
      ['tunnel', 'intercept', '--identity', 'x.json', '--service', 's', '--listen', 'nowhere'],
      1,
      'ZH_TUNNEL_LISTEN_INVALID',
    ],
  ])('%j exits %i with %s', async (args, exit, code) => {
    const r = await runCli(args, { ZEROHOOK_WEBHOOK_SECRET: '' })
    expect(r.code).toBe(exit)
    expect(r.stderr.startsWith(`${code}:`)).toBe(true)
  })
})

describe(
  'tunnel host and intercept (real controller, router and tunnel processes)',
  { timeout: 240_000 },
  () => {
    let net: TestNetwork
    let app: Awaited<ReturnType<typeof startLocalApp>>
    let sender: Zerohook
    let senderFile: string
    let plainHost: Daemon
    let githubHost: Daemon
    let standardHost: Daemon
    let asanaHost: Daemon
    let hostFile: string
    const startAsanaHost = (): Daemon =>
      startDaemon(
        hostArgs(hostFile, 'asana-hook', '--verify', 'asana', '--state', join(net.dir, 'asana')),
      )

    // The secret from the environment, as an operator keeps it out of `ps` (the daemon inherits
    // this process's environment); ids are remembered in SQLite under --state.
    const startStandardHost = (): Daemon => {
      process.env.ZEROHOOK_WEBHOOK_SECRET = STD_SECRET
      try {
        return startDaemon(
          hostArgs(
            hostFile,
            'standard-hook',
            '--verify',
            'standard',
            '--state',
            join(net.dir, 'standard-state'),
          ),
        )
      } finally {
        delete process.env.ZEROHOOK_WEBHOOK_SECRET
      }
    }

    const hostArgs = (file: string, service: string, ...more: string[]) => [
      'tunnel',
      'host',
      '--identity',
      file,
      '--service',
      service,
      '--to',
      `http://127.0.0.1:${app.port}`,
      ...more,
    ]

    beforeAll(async () => {
      net = await startNetwork(1)
      for (const svc of ['plain-hook', 'github-hook', 'standard-hook', 'asana-hook'])
        await net.admin('service', 'create', svc, '--attr', 'tunneled')
      await net.admin('service', 'create', 'private-hook', '--attr', 'private')
      await net.policy('senders-dial', 'dial', '#senders', '#tunneled')
      await net.policy('hosts-bind', 'bind', '#hosts', '#tunneled,#private')
      const host = await net.identity('jenkins', ['hosts'])
      hostFile = host.file
      // The secret from a file: not in `ps`, no warning.
      const ghSecretFile = join(net.dir, 'github.secret')
      await writeFile(ghSecretFile, `${GH_SECRET}\n`, { mode: 0o600 })
      const ci = await net.identity('ci-job', ['senders'])
      senderFile = ci.file
      app = await startLocalApp()
      plainHost = startDaemon(hostArgs(host.file, 'plain-hook'))
      githubHost = startDaemon(
        hostArgs(host.file, 'github-hook', '--verify', 'github', '--secret-file', ghSecretFile),
      )
      standardHost = startStandardHost()
      asanaHost = startAsanaHost()
      await Promise.all(
        [plainHost, githubHost, standardHost, asanaHost].map((d) => d.waitFor(ready, 60_000)),
      )
      sender = await connect(ci.identity)
    }, 180_000)

    afterAll(async () => {
      await sender?.close()
      await stopAllDaemons()
      await app?.close()
      await net?.cleanup()
    })

    const post = (service: string, path: string, body: string, headers: Record<string, string>) =>
      fetch(`http://${service}${path}`, {
        method: 'POST',
        body,
        headers,
        dispatcher: sender.dispatcher(),
      })

    it("forwards to the app with the sender's identity; a spoofed one is gone", async () => {
      const res = await post('plain-hook', '/hook?n=1', '{"hello":"tunnel"}', {
        'content-type': 'application/json',
        'x-zerohook-identity': 'admin',
        'x-zerohook-identity-id': 'id-of-someone-else',
      })
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ ok: true })
      const seen = app.seen.at(-1)!
      expect(seen.url).toBe('/hook?n=1')
      expect(seen.body).toBe('{"hello":"tunnel"}')
      // The name comes from the sender's controller-signed grant, checked end to end.
      expect(sender.id.name).not.toBe(sender.id.id)
      expect(seen.headers['x-zerohook-identity']).toBe(sender.id.name)
      expect(seen.headers['x-zerohook-identity-id']).toBe(sender.id.id)
      const line = await plainHost.waitFor((l) => l.msg === 'tunnel request')
      expect(line).toMatchObject({ method: 'POST', path: '/hook', status: 200 })
    })

    it('measures: median round trip through the tunnel host vs straight to the app', async () => {
      const time = async (send: () => Promise<Response>) => {
        const ms: number[] = []
        for (let i = 0; i < 40; i++) {
          const t = performance.now()
          const res = await send()
          await res.arrayBuffer()
          expect(res.status).toBe(200)
          ms.push(performance.now() - t)
        }
        return median(ms)
      }
      const dispatcher = sender.dispatcher()
      const tunneled = await time(() =>
        fetch('http://plain-hook/m', { method: 'POST', body: '{}', dispatcher }),
      )
      const direct = await time(() =>
        fetch(`http://127.0.0.1:${app.port}/m`, { method: 'POST', body: '{}' }),
      )
      console.log(
        `tunnel host round trip, median of 40 sequential POSTs: ${tunneled.toFixed(2)} ms over the overlay, ${direct.toFixed(2)} ms direct`,
      )
      expect(tunneled).toBeGreaterThan(0)
    })

    it('keeps no listening socket in the tunnel host process', () => {
      expect(listeningSockets(plainHost.pid)).toEqual([])
      expect(listeningSockets(githubHost.pid)).toEqual([])
    })

    it('with --verify github, passes a signed request and stops a bad one', async () => {
      const before = app.seen.length
      const body = '{"ref":"refs/heads/main"}'
      const headers = {
        'content-type': 'application/json',
        ...signWebhook({ scheme: 'github', secret: GH_SECRET, body, id: 'gh-delivery-1' }),
      }
      expect((await post('github-hook', '/github-webhook/', body, headers)).status).toBe(200)
      expect(app.seen.length).toBe(before + 1)
      // A well-formed request signed with another secret: what a forger can produce.
      const evil = '{"ref":"refs/heads/evil"}'
      const bad = await post('github-hook', '/github-webhook/', evil, {
        'content-type': 'application/json',
        ...signWebhook({ scheme: 'github', secret: 'not-the-secret', body: evil, id: 'gh-2' }),
      })
      expect(bad.status).toBe(401)
      expect(await bad.json()).toMatchObject({ error: { code: 'ZH_WEBHOOK_SIGNATURE_INVALID' } })
      expect(app.seen.length).toBe(before + 1)
      expect(app.seen.at(-1)!.body).toBe(body)
      // Secrets never reach the log.
      expect(JSON.stringify(githubHost.lines)).not.toContain(GH_SECRET)
    })

    it('with --verify standard (secret from the environment), refuses a replay, also after a restart', async () => {
      const before = app.seen.length
      const body = '{"type":"build.requested"}'
      const headers = {
        'content-type': 'application/json',
        ...signWebhook({ scheme: 'standard', secret: STD_SECRET, id: 'msg_tunnel_1', body }),
      }
      expect((await post('standard-hook', '/hook', body, headers)).status).toBe(200)
      const again = await post('standard-hook', '/hook', body, headers)
      expect(again.status).toBe(409)
      expect(await again.json()).toMatchObject({ error: { code: 'ZH_WEBHOOK_REPLAYED' } })
      expect(app.seen.length).toBe(before + 1)

      expect(await standardHost.stop()).toBe(0)
      standardHost = startStandardHost()
      await standardHost.waitFor(ready, 60_000)
      const afterRestart = await post('standard-hook', '/hook', body, headers)
      expect(afterRestart.status).toBe(409)
      expect(app.seen.length).toBe(before + 1)
    })

    it('with --verify asana --state, keeps the handshake secret (first use only, across a restart)', async () => {
      const before = app.seen.length
      const handshake = await post('asana-hook', '/asana', '', { 'x-hook-secret': 'tofu-secret' })
      expect([handshake.status, handshake.headers.get('x-hook-secret')]).toEqual([
        200,
        'tofu-secret',
      ])
      const file = join(net.dir, 'asana', 'learned.secret')
      expect((await readFile(file, 'utf8')).trim()).toBe('tofu-secret')
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      const body = '{"events":[{"action":"changed"}]}'
      const signed = {
        'content-type': 'application/json',
        'x-hook-signature': createHmac('sha256', 'tofu-secret').update(body).digest('hex'),
      }
      expect((await post('asana-hook', '/asana', body, signed)).status).toBe(200)
      expect(app.seen.length).toBe(before + 1) // the handshake never reached the app

      expect(await asanaHost.stop()).toBe(0)
      asanaHost = startAsanaHost()
      await asanaHost.waitFor(ready, 60_000)
      const swap = await post('asana-hook', '/asana', '', { 'x-hook-secret': 'swapped' })
      expect(swap.status).toBe(403)
      expect(await swap.json()).toMatchObject({
        error: { code: 'ZH_WEBHOOK_SECRET_ALREADY_LEARNED' },
      })
      const next = '{"events":[{"action":"removed"}]}'
      const again = await post('asana-hook', '/asana', next, {
        'x-hook-signature': createHmac('sha256', 'tofu-secret').update(next).digest('hex'),
      })
      expect(again.status).toBe(200)
      expect(app.seen.map((s) => s.body).slice(before)).toEqual([body, next])
      expect(JSON.stringify(asanaHost.lines)).not.toContain('tofu-secret')
    })

    it('intercept: a plain fetch to a local port reaches the app behind a tunnel host', async () => {
      const intercept = startDaemon([
        'tunnel',
        'intercept',
        '--identity',
        senderFile,
        '--service',
        'plain-hook',
        '--listen',
        '127.0.0.1:0',
      ])
      const line = await intercept.waitFor((l) => l.msg === 'tunnel intercept listening', 60_000)
      const port = line.port as number
      expect(port).toBeGreaterThan(0)
      for (let i = 0; i < 3; i++) {
        const res = await fetch(`http://127.0.0.1:${port}/via-intercept/${i}`, {
          method: 'POST',
          body: `payload-${i}`,
        })
        expect(res.status).toBe(200)
        const answer = (await res.json()) as { identity: string }
        expect(answer.identity).toBe(sender.id.name)
        expect(app.seen.at(-1)).toMatchObject({ url: `/via-intercept/${i}`, body: `payload-${i}` })
      }
      expect(await intercept.stop()).toBe(0)
    })

    it('intercept: a service the identity may not dial closes that connection, logs the code, keeps serving', async () => {
      const intercept = startDaemon([
        'tunnel',
        'intercept',
        '--identity',
        senderFile,
        '--service',
        'private-hook',
        '--listen',
        '127.0.0.1:0',
      ])
      const line = await intercept.waitFor((l) => l.msg === 'tunnel intercept listening', 60_000)
      const refusals = () =>
        intercept.lines.filter((l) => l.msg === 'dial refused; connection closed')
      for (let i = 1; i <= 2; i++) {
        const outcome = await fetch(`http://127.0.0.1:${line.port as number}/hook`).then(
          (r) => `status ${r.status}`,
          (err: Error) => `failed: ${String((err.cause as Error | undefined)?.message ?? err)}`,
        )
        expect(outcome).toMatch(/^failed/)
        await waitUntil(() => refusals().length >= i)
      }
      expect(refusals().map((l) => l.code)).toEqual(['ZH_SDK_NO_GRANT', 'ZH_SDK_NO_GRANT'])
      expect(await intercept.stop()).toBe(0)
    })

    it('stops cleanly on SIGTERM (exit 0), finishing the request in flight', async () => {
      const before = app.seen.length
      const slow = post('plain-hook', '/slow', '{}', { 'content-type': 'application/json' })
      await waitUntil(() => app.seen.length > before)
      const stopped = plainHost.stop()
      const res = await slow
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ ok: true })
      expect(await stopped).toBe(0)
      expect(plainHost.lines.some((l) => l.msg === 'tunnel stopped')).toBe(true)
      expect(await githubHost.stop()).toBe(0)
      expect(await standardHost.stop()).toBe(0)
    })

    // Last: it stops the controller.
    it('restarts with the grants it cached next to the identity while the controller is down', async () => {
      expect((await stat(`${hostFile}.grants`)).mode & 0o777).toBe(0o600)
      await net.controller.stop()
      const again = startDaemon(hostArgs(hostFile, 'plain-hook'))
      await again.waitFor(ready, 30_000)
      const res = await post('plain-hook', '/hook?n=offline', '{}', {
        'content-type': 'application/json',
      })
      expect(res.status).toBe(200)
      expect(app.seen.at(-1)!.url).toBe('/hook?n=offline')
      expect(await again.stop()).toBe(0)
    })
  },
)
