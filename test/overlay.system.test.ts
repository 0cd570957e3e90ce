import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fetch } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, isZhError, type Zerohook } from '../src/sdk/index.js'
import { startDaemon, stopAllDaemons, type Daemon } from './helpers/cli.js'
import { startFixture, startNetwork, type TestNetwork } from './helpers/network.js'
import { listeningSockets, processSockets } from './helpers/sockets.js'
import { codeOf } from '../src/errors.test-util.js'

async function waitUntil(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** The mission: a receiver with no inbound port, reachable only by authorized identities. */
describe(
  'dark receiver over the overlay (real controller, router and endpoint processes)',
  { timeout: 180_000 },
  () => {
    let net: TestNetwork
    let receiver: Daemon
    let sender: Zerohook

    beforeAll(async () => {
      net = await startNetwork(1)
      await net.admin('service', 'create', 'jenkins-webhook', '--attr', 'webhooks')
      await net.policy('senders-dial', 'dial', '#senders', '#webhooks')
      await net.policy('receivers-bind', 'bind', '#receivers', '#webhooks')
      const jenkins = await net.identity('jenkins', ['receivers'])
      const gh = await net.identity('github-action', ['senders'])
      receiver = startFixture('receiver.ts', [jenkins.file, 'jenkins-webhook'])
      await receiver.waitFor((l) => l.event === 'ready')
      sender = await connect(gh.identity)
    })

    afterAll(async () => {
      await sender?.close()
      await stopAllDaemons()
      await net?.cleanup()
    })

    it('answers a fetch sent through the dispatcher, and the receiver has no listening socket', async () => {
      const body = JSON.stringify({ ref: 'refs/heads/main', marker: 'PLAINTEXT-MARKER-7f3a' })
      const res = await fetch('http://jenkins-webhook/hook', {
        method: 'POST',
        body,
        dispatcher: sender.dispatcher(),
      })
      expect(res.status).toBe(200)
      const answer = (await res.json()) as { ok: boolean; caller: string; bytes: number }
      expect(answer).toEqual({ ok: true, caller: sender.id.id, bytes: Buffer.byteLength(body) })

      const sockets = processSockets(receiver.pid)
      expect(sockets.length).toBeGreaterThan(0) // it does hold outbound connections (controller, router)
      expect(listeningSockets(receiver.pid)).toEqual([])
    })

    it('keeps the router blind: relayed bytes never contain the plaintext marker', async () => {
      const captured = await readFile(join(net.dir, 'router-1.capture'))
      expect(captured.length).toBeGreaterThan(1000)
      expect(captured.includes('PLAINTEXT-MARKER-7f3a')).toBe(false)
      expect(captured.includes('refs/heads/main')).toBe(false)
    })

    it('refuses an identity without a dial policy; the receiver never sees it', async () => {
      const stranger = await net.identity('stranger', [])
      const zh = await connect(stranger.identity)
      try {
        const before = receiver.lines.filter((l) => l.event === 'connection').length
        expect(await codeOf(zh.dial('jenkins-webhook'))).toBe('ZH_SDK_NO_GRANT')
        const res = fetch('http://jenkins-webhook/hook', {
          method: 'POST',
          body: 'x',
          dispatcher: zh.dispatcher(),
        })
        expect(await codeOf(res)).toBe('ZH_SDK_NO_GRANT')
        await new Promise((r) => setTimeout(r, 200))
        expect(receiver.lines.filter((l) => l.event === 'connection').length).toBe(before)
      } finally {
        await zh.close()
      }
    })

    async function streamingSocket(zh: Zerohook) {
      const socket = await zh.dial('jenkins-webhook')
      socket.write('GET /stream HTTP/1.1\r\nhost: jenkins-webhook\r\n\r\n')
      await new Promise((r) => socket.once('data', r))
      const closed = new Promise<number>((resolve) =>
        socket.once('close', () => resolve(performance.now())),
      )
      const errored = new Promise<string>((resolve) =>
        socket.once('error', (e) => resolve(isZhError(e) ? e.code : String(e))),
      )
      return { closed, errored }
    }

    it('closes a streaming circuit within a second when the dial policy is removed', async () => {
      const { closed, errored } = await streamingSocket(sender)
      const started = performance.now()
      await net.admin('policy', 'delete', 'senders-dial')
      const ms = (await closed) - started
      console.log(
        `revocation teardown after policy delete (CLI round trip included): ${ms.toFixed(0)} ms`,
      )
      expect(ms).toBeLessThan(2000)
      expect(await errored).toBe('ZH_ROUTER_PERMISSION_REVOKED')
      expect(await codeOf(sender.dial('jenkins-webhook'))).toMatch(
        /ZH_SDK_NO_GRANT|ZH_GRANT_MISMATCH|ZH_ROUTER_PERMISSION_REVOKED/,
      )
    })

    it('closes a streaming circuit within a second when the dialing identity is deleted or loses its attribute', async () => {
      await net.policy('senders-dial', 'dial', '#senders', '#webhooks')
      const doomed = await connect((await net.identity('doomed', ['senders'])).identity)
      const changed = await connect((await net.identity('changed', ['senders'])).identity)
      try {
        const a = await streamingSocket(doomed)
        let started = performance.now()
        await net.admin('identity', 'delete', 'doomed')
        let ms = (await a.closed) - started
        console.log(
          `revocation teardown after identity delete (CLI round trip included): ${ms.toFixed(0)} ms`,
        )
        expect(ms).toBeLessThan(2000)
        expect(await a.errored).toMatch(/ZH_ROUTER_CERT_REVOKED|ZH_WIRE_CHANNEL_CLOSED/)

        const b = await streamingSocket(changed)
        started = performance.now()
        await net.admin('identity', 'update', 'changed', '--attr', 'bystanders')
        ms = (await b.closed) - started
        console.log(
          `revocation teardown after attribute change (CLI round trip included): ${ms.toFixed(0)} ms`,
        )
        expect(ms).toBeLessThan(2000)
        expect(await b.errored).toBe('ZH_ROUTER_PERMISSION_REVOKED')
      } finally {
        await doomed.close()
        await changed.close()
      }
    })

    it('keeps circuits flowing and new dials working while the controller is down', async () => {
      const socket = await sender.dial('jenkins-webhook')
      await net.controller.stop()
      let received = 0
      socket.on('data', (d: Buffer) => (received += d.length))
      socket.write('GET /stream HTTP/1.1\r\nhost: jenkins-webhook\r\n\r\n')
      await new Promise((r) => setTimeout(r, 500))
      const mark = received
      await new Promise((r) => setTimeout(r, 500))
      expect(received).toBeGreaterThan(mark) // still streaming after the controller stopped
      const res = await fetch('http://jenkins-webhook/hook', {
        method: 'POST',
        body: 'outage',
        dispatcher: sender.dispatcher(),
      })
      expect(res.status).toBe(200)
      socket.destroy()
    })

    it('removes the terminator when the bind policy goes (last: it takes the receiver away)', async () => {
      // The controller was stopped by the previous test: start it again, same directory and port.
      const first = net.controller.lines.find((l) => l.msg === 'controller listening')!
      const port = new URL(first.url as string).port
      const router = net.routers[0]!
      const ups = router.lines.filter((l) => l.msg === 'control channel up').length
      net.controller = startDaemon([
        'controller',
        'run',
        '--dir',
        join(net.dir, 'ctl'),
        '--listen',
        `127.0.0.1:${port}`,
      ])
      await net.controller.waitFor((l) => l.msg === 'controller listening')
      await waitUntil(() => router.lines.filter((l) => l.msg === 'control channel up').length > ups)
      await net.admin('policy', 'delete', 'receivers-bind')
      await new Promise((r) => setTimeout(r, 300))
      expect(await codeOf(sender.dial('jenkins-webhook'))).toBe('ZH_ROUTER_NO_TERMINATOR')
    })
  },
)
