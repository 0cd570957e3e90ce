import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { pgAvailable } from '../src/controller/store/pg.test-util.js'
import { codeOf } from '../src/errors.test-util.js'
import { connect, isZhError, type Zerohook } from '../src/sdk/index.js'
import { stopAllDaemons, type Daemon } from './helpers/cli.js'
import { startFixture } from './helpers/network.js'
import { startReplicatedNetwork, type ReplicatedNetwork } from './helpers/replicas.js'

/** Issue 13's first acceptance: two replicas on one database, each serving part of the network. */
describe.skipIf(!pgAvailable)(
  'two controller replicas on one PostgreSQL database (real processes)',
  { timeout: 180_000 },
  () => {
    let net: ReplicatedNetwork
    let receiver: Daemon
    let sender: Zerohook

    beforeAll(async () => {
      net = await startReplicatedNetwork()
      await net.router('a', 'router-1')
      await net.router('b', 'router-2')
      // The service on replica A; every policy on replica B.
      await net.admin('a', 'service', 'create', 'jenkins-webhook', '--attr', 'webhooks')
      await net.admin(
        'b',
        'policy',
        'create',
        'senders-dial',
        '--type',
        'dial',
        '--identities',
        '#senders',
        '--services',
        '#webhooks',
      )
      await net.admin(
        'b',
        'policy',
        'create',
        'receivers-bind',
        '--type',
        'bind',
        '--identities',
        '#receivers',
        '--services',
        '#webhooks',
      )
      // The sender may use router-2 only (the one connected to B); the receiver binds on both.
      await net.admin(
        'b',
        'router-policy',
        'create',
        'receivers-all',
        '--identities',
        '#receivers',
        '--routers',
        '#all',
      )
      await net.admin(
        'b',
        'router-policy',
        'create',
        'senders-r2',
        '--identities',
        '#senders',
        '--routers',
        '@router-2',
      )
      await net.admin('b', 'router-policy', 'delete', 'default')
      const jenkins = await net.identity('a', 'jenkins', ['receivers'])
      const action = await net.identity('b', 'github-action', ['senders'])
      receiver = startFixture('receiver.ts', [jenkins.file, 'jenkins-webhook'])
      await receiver.waitFor((l) => l.event === 'ready')
      sender = await connect(action.identity)
    })

    afterAll(async () => {
      await sender?.close()
      await stopAllDaemons()
      await net?.cleanup()
    })

    it('holds router-1 on replica A and router-2 on replica B', async () => {
      const opened = (d: Daemon) =>
        d.lines.filter((l) => l.msg === 'router control channel open').map((l) => l.router)
      const ids = await net.admin<{ routers: { id: string; name: string }[] }>(
        'a',
        'router',
        'list',
      )
      const id = (name: string) => ids.routers.find((r) => r.name === name)!.id
      expect(opened(net.replicas.a)).toContain(id('router-1'))
      expect(opened(net.replicas.b)).toContain(id('router-2'))
      expect(opened(net.replicas.a)).not.toContain(id('router-2'))
    })

    it('links router-1 (on A) and router-2 (on B): each replica sees the whole router graph', async () => {
      type Graph = { routers: { id: string; links: Record<string, number> }[] }
      const linked = (g: Graph) =>
        g.routers.length === 2 && g.routers.every((r) => Object.keys(r.links).length === 1)
      const end = Date.now() + 30_000
      let graphs: Graph[] = []
      while (Date.now() < end) {
        graphs = [
          await net.admin<Graph>('a', 'router', 'links'),
          await net.admin<Graph>('b', 'router', 'links'),
        ]
        if (graphs.every(linked)) break
        await new Promise((r) => setTimeout(r, 500))
      }
      console.log(
        `router links seen by A and B: ${JSON.stringify(graphs.map((g) => g.routers.map((r) => r.links)))}`,
      )
      expect(graphs.every(linked)).toBe(true)
    })

    it('delivers a webhook from a sender enrolled on B to a receiver enrolled on A', async () => {
      const { fetch } = await import('undici')
      const res = await fetch('http://jenkins-webhook/hook', {
        method: 'POST',
        body: '{"ref":"main"}',
        dispatcher: sender.dispatcher(),
      })
      expect(res.status).toBe(200)
      expect(await res.json()).toMatchObject({ ok: true, caller: sender.id.id })
    })

    it('closes a circuit streaming through router-2 (on B) within a second when A deletes the sender', async () => {
      const socket = await sender.dial('jenkins-webhook')
      socket.write('GET /stream HTTP/1.1\r\nhost: jenkins-webhook\r\n\r\n')
      await new Promise((r) => socket.once('data', r))
      const closed = new Promise<number>((resolve) =>
        socket.once('close', () => resolve(performance.now())),
      )
      const errored = new Promise<string>((resolve) =>
        socket.once('error', (e) => resolve(isZhError(e) ? e.code : String(e))),
      )
      const started = performance.now()
      await net.admin('a', 'identity', 'delete', 'github-action')
      const ms = (await closed) - started
      console.log(
        `cross-replica teardown (delete on A, circuit on router-2 via B; CLI round trip included): ${ms.toFixed(0)} ms`,
      )
      expect(ms).toBeLessThan(1000)
      expect(await errored).toMatch(/ZH_ROUTER_CERT_REVOKED|ZH_WIRE_CHANNEL_CLOSED/)
      expect(await codeOf(sender.dial('jenkins-webhook'))).not.toBe('no error')
    })
  },
)
