import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { fetch } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ControllerClient } from '../src/sdk/controller-client.js'
import { connect, isZhError, loadIdentity, type Zerohook } from '../src/sdk/index.js'
import { stopAllDaemons, type Daemon } from './helpers/cli.js'
import { startFixture, startNetwork, type TestNetwork } from './helpers/network.js'
import { listeningSockets } from './helpers/sockets.js'

const MARKER = 'PLAINTEXT-LINK-MARKER-51c9'

async function waitUntil(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** POSTs through the overlay until it answers 200 (routes take a moment to be pushed). */
async function postUntilOk(zh: Zerohook, body: string, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < end) {
    try {
      const res = await fetch('http://jenkins-webhook/hook', {
        method: 'POST',
        body,
        dispatcher: zh.dispatcher(),
      })
      if (res.status === 200) return (await res.json()) as { ok: boolean; caller: string }
      last = new Error(`status ${res.status}`)
    } catch (err) {
      last = err
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw last instanceof Error ? last : new Error('no answer')
}

/**
 * Router-to-router links: the sender may use only router-1, the receiver only routers 2 and 3,
 * so every circuit crosses a link along the path the controller computed.
 */
describe(
  'router links and controller-computed paths (real controller and 3 router processes)',
  { timeout: 240_000 },
  () => {
    let net: TestNetwork
    let receiver: Daemon
    let sender: Zerohook
    let admin: ControllerClient

    beforeAll(async () => {
      net = await startNetwork(3)
      admin = new ControllerClient(await loadIdentity(join(net.dir, 'ctl', 'admin.json')))
      await net.admin('service', 'create', 'jenkins-webhook', '--attr', 'webhooks')
      await net.policy('senders-dial', 'dial', '#senders', '#webhooks')
      await net.policy('receivers-bind', 'bind', '#receivers', '#webhooks')
      await admin.call('DELETE', '/v1/router-policies/default')
      await admin.call('POST', '/v1/router-policies', {
        name: 'senders-on-r1',
        identityRoles: ['#senders'],
        routerRoles: ['@router-1'],
      })
      await admin.call('POST', '/v1/router-policies', {
        name: 'receivers-on-r2-r3',
        identityRoles: ['#receivers'],
        routerRoles: ['@router-2', '@router-3'],
      })
      const jenkins = await net.identity('jenkins', ['receivers'])
      const gh = await net.identity('github-action', ['senders'])
      receiver = startFixture('receiver.ts', [jenkins.file, 'jenkins-webhook'])
      await receiver.waitFor((l) => l.event === 'ready', 60_000)
      // Bound on both of its routers (the second may come up just after 'ready').
      for (const r of [net.routers[1]!, net.routers[2]!])
        await r.waitFor((l) => l.msg === 'terminator bound', 30_000)
      sender = await connect(gh.identity)
    })

    afterAll(async () => {
      await sender?.close()
      await stopAllDaemons()
      await net?.cleanup()
    })

    it('reaches the receiver over a link; the ingress router sees only ciphertext', async () => {
      const r1 = net.routers[0]!
      // router-1 links to both others (it has the smallest id or is dialed by the others).
      await waitUntil(() => r1.lines.filter((l) => l.msg === 'router link up').length >= 2)
      const started = performance.now()
      const answer = await postUntilOk(sender, JSON.stringify({ marker: MARKER }))
      console.log(
        `first fetch over a link answered after ${(performance.now() - started).toFixed(0)} ms`,
      )
      expect(answer).toMatchObject({ ok: true, caller: sender.id.id })
      // The sender holds no connection to routers 2 and 3, nor the receiver to router-1: the
      // circuit crossed a link. router-1 relayed it and saw only end-to-end ciphertext.
      const captured = await readFile(join(net.dir, 'router-1.capture'))
      expect(captured.length).toBeGreaterThan(1000)
      expect(captured.includes(MARKER)).toBe(false)
      const forwarded = await readFile(join(net.dir, 'router-2.capture')).then(
        (a) => a.length,
        () => 0,
      )
      const forwarded3 = await readFile(join(net.dir, 'router-3.capture')).then(
        (a) => a.length,
        () => 0,
      )
      expect(forwarded + forwarded3).toBeGreaterThan(1000)
      expect(listeningSockets(receiver.pid)).toEqual([])
      // The controller's view: three live routers, fully meshed, each with measured RTTs.
      const graph = await net.admin<{ routers: { id: string; links: Record<string, number> }[] }>(
        'router',
        'links',
      )
      console.log(`router links: ${JSON.stringify(graph.routers.map((r) => r.links))}`)
      expect(graph.routers).toHaveLength(3)
      for (const r of graph.routers) expect(Object.keys(r.links)).toHaveLength(2)
    })

    it('closes a streaming transit circuit when the dialing identity is deleted', async () => {
      const doomed = await connect((await net.identity('doomed', ['senders'])).identity)
      try {
        await postUntilOk(doomed, 'warm-up')
        const socket = await doomed.dial('jenkins-webhook')
        socket.write('GET /stream HTTP/1.1\r\nhost: jenkins-webhook\r\n\r\n')
        await new Promise((r) => socket.once('data', r))
        const closed = new Promise<number>((resolve) =>
          socket.once('close', () => resolve(performance.now())),
        )
        const errored = new Promise<string>((resolve) =>
          socket.once('error', (e) => resolve(isZhError(e) ? e.code : String(e))),
        )
        const started = performance.now()
        await net.admin('identity', 'delete', 'doomed')
        const ms = (await closed) - started
        console.log(
          `transit circuit teardown after identity delete (CLI round trip included): ${ms.toFixed(0)} ms`,
        )
        expect(ms).toBeLessThan(2000)
        expect(await errored).toMatch(/ZH_ROUTER_CERT_REVOKED|ZH_WIRE_CHANNEL_CLOSED/)
        // The receiver's end of the circuit (behind the link) is gone too.
        await receiver.waitFor((l) => l.event === 'stream-closed', 5000)
      } finally {
        await doomed.close()
      }
    })

    it('ends circuits over a dead link with ZH_ROUTER_LINK_DOWN and routes new fetches around it', async () => {
      const size = (name: string) =>
        readFile(join(net.dir, `${name}.capture`)).then(
          (a) => a.length,
          () => 0,
        )
      // Open a stream and find which of routers 2 and 3 carries it (its capture grows).
      const before = [await size('router-2'), await size('router-3')]
      const socket = await sender.dial('jenkins-webhook')
      socket.write('GET /stream HTTP/1.1\r\nhost: jenkins-webhook\r\n\r\n')
      await new Promise((r) => socket.once('data', r))
      await new Promise((r) => setTimeout(r, 300))
      const grown = [(await size('router-2')) - before[0]!, (await size('router-3')) - before[1]!]
      const index = grown[0]! >= grown[1]! ? 1 : 2
      const victim = net.routers[index]!
      console.log(`the path runs through router-${index + 1} (bytes seen: ${grown.join(', ')})`)
      const errored = new Promise<string>((resolve) =>
        socket.once('error', (e) => resolve(isZhError(e) ? e.code : String(e))),
      )
      const killedAt = performance.now()
      victim.child.kill('SIGKILL')
      await new Promise((r) => victim.child.once('exit', r))
      expect(await errored).toBe('ZH_ROUTER_LINK_DOWN')
      const answer = await postUntilOk(sender, JSON.stringify({ after: 'kill' }), 20_000)
      const ms = performance.now() - killedAt
      console.log(
        `first successful fetch after SIGKILL of router-${index + 1}: ${ms.toFixed(0)} ms`,
      )
      expect(answer.ok).toBe(true)
      expect(ms).toBeLessThan(10_000)
      // And it keeps working, through the other router.
      for (let i = 0; i < 5; i++)
        expect((await postUntilOk(sender, `again ${i}`, 5000)).ok).toBe(true)
      const captured = await readFile(join(net.dir, 'router-1.capture'))
      expect(captured.includes(MARKER)).toBe(false)
      expect(listeningSockets(receiver.pid)).toEqual([])
    })

    it('keeps forwarding over the links with the last routing table while the controller is down', async () => {
      await net.controller.stop()
      const started = performance.now()
      // Fresh dials (not a pooled keep-alive connection): each one takes the forwarding path.
      for (let i = 0; i < 5; i++) {
        const socket = await sender.dial('jenkins-webhook')
        // Not end(): an HTTP server aborts a request whose connection half-closes early.
        socket.write(
          'POST /hook HTTP/1.1\r\nhost: jenkins-webhook\r\ncontent-type: text/plain\r\ncontent-length: 2\r\nconnection: close\r\n\r\nhi',
        )
        const chunks: Buffer[] = []
        for await (const chunk of socket) chunks.push(chunk as Buffer)
        expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 200/)
      }
      console.log(
        `5 fresh dials over a link with the controller down: ${(performance.now() - started).toFixed(0)} ms`,
      )
    })
  },
)
