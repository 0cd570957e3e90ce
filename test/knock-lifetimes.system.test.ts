import { once } from 'node:events'
import { join } from 'node:path'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { connect, type Zerohook } from '../src/sdk/context.js'
import { loadIdentity } from '../src/sdk/identity-file.js'
import { runCli, startDaemon, stopAllDaemons, type Daemon } from './helpers/cli.js'
import { startNetwork, type TestNetwork } from './helpers/network.js'

const ROTATION_S = 6
const RUN_MS = 40_000

/**
 * Time is part of correctness: a `--knock` router with knock keys rotated every 6 s (and grants
 * of 6 s) keeps relaying for 40 s, through six or more rotations and a restart of the router,
 * after which every endpoint must knock again with the keys it holds then; an endpoint enrolled
 * at the start, whose file holds a key rotated out long ago, connects at the end.
 */
describe(
  'knocking through many key rotations (real controller and router)',
  { timeout: 120_000 },
  () => {
    let net: TestNetwork
    let router: Daemon
    const log = pino({ level: 'silent' })
    const sdks: Zerohook[] = []
    let lateFile: string
    let port: number

    beforeAll(async () => {
      net = await startNetwork(0, {
        // Certificates outlive the run, so the endpoint enrolled first is still valid at the end.
        init: ['--grant-ttl', String(ROTATION_S), '--cert-ttl', '90'],
        run: ['--knock-rotation', String(ROTATION_S)],
      })
      router = await net.addRouter('router-1', ['--knock'])
      port = (await router.waitFor((l) => l.msg === 'router listening')).port as number
      await net.admin('service', 'create', 'echo', '--attr', 'echo')
      await net.policy('echo-bind', 'bind', '#hosts', '#echo')
      await net.policy('echo-dial', 'dial', '#dialers', '#echo')
      lateFile = (await net.identity('late', ['dialers'])).file
    })
    afterAll(async () => {
      for (const z of sdks) await z.close().catch(() => undefined)
      await stopAllDaemons()
      await net?.cleanup()
    })

    const echo = async (zh: Zerohook, text: string): Promise<string> => {
      const socket = await zh.dial('echo')
      const chunks: Buffer[] = []
      socket.on('data', (d: Buffer) => chunks.push(d))
      socket.end(text)
      await once(socket, 'end')
      return Buffer.concat(chunks).toString()
    }

    it('refuses a rotation shorter than the grant lifetime', async () => {
      const r = await runCli([
        'controller',
        'run',
        '--dir',
        join(net.dir, 'ctl'),
        '--knock-rotation',
        '3',
      ])
      expect(r.code).toBe(2)
      expect(r.stderr).toMatch(
        /^ZH_CONFIG_LIFETIME_INVALID: .*--knock-rotation 3 is shorter than --grant-ttl 6/m,
      )
    })

    it('relays all along, and after a restart, with keys from six rotations later', async () => {
      const host = await connect((await net.identity('host', ['hosts'])).identity, { log })
      const dialer = await connect((await net.identity('dialer', ['dialers'])).identity, { log })
      sdks.push(host, dialer)
      const listener = await host.listen('echo')
      listener.on('connection', (s: NodeJS.ReadWriteStream) => s.pipe(s))
      const started = Date.now()
      let n = 0
      let restarted = false
      while (Date.now() - started < RUN_MS) {
        expect(await echo(dialer, `message ${++n}`)).toBe(`message ${n}`)
        if (!restarted && Date.now() - started > RUN_MS / 2) {
          // Every endpoint's connection to the router is cut: each knocks again, with the keys it
          // holds now.
          await router.stop()
          router = startDaemon([
            'router',
            'run',
            '--dir',
            join(net.dir, 'router-1'),
            '--listen',
            `127.0.0.1:${port}`, // a restart keeps its address, as a deployed router does
            '--knock',
          ])
          await router.waitFor((l) => l.msg === 'control channel up', 30_000)
          restarted = true
          // The endpoints reconnect on their own backoff: the first echo after the restart may
          // wait for them (15 s at most); every one after it must pass at once.
          const until = Date.now() + 15_000
          for (;;) {
            try {
              expect(await echo(dialer, 'after the restart')).toBe('after the restart')
              break
            } catch (err) {
              if (Date.now() > until) throw err
              await new Promise((r) => setTimeout(r, 500))
            }
          }
        }
        await new Promise((r) => setTimeout(r, 1000))
      }
      expect(restarted).toBe(true)
      const rotations = Math.floor((Date.now() - started) / 1000 / ROTATION_S)
      console.log(`${n} echoes through ${rotations}+ knock key rotations and a router restart`)
      expect(n).toBeGreaterThan(20)

      // Enrolled at the start: the knock key in its file was rotated out long ago.
      const late = await connect(await loadIdentity(lateFile), { log })
      sdks.push(late)
      expect(await echo(late, 'late but in')).toBe('late but in')
    })
  },
)
