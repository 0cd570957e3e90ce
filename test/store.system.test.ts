import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newStoreKey } from '../src/controller/store/store-key.js'
import { createTestDatabase, pgAvailable } from '../src/controller/store/pg.test-util.js'
import {
  cliJson,
  runCli,
  startDaemon,
  stopAllDaemons,
  tempDir,
  type Daemon,
} from './helpers/cli.js'
import { startFixture } from './helpers/network.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

/** A free loopback port, so a controller can come back at the same address. */
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const port = (server.address() as { port: number }).port
  await new Promise((r) => server.close(r))
  return port
}

/** Issue 13: moving a running network from SQLite to PostgreSQL, and bad stores at start. */
describe.skipIf(!pgAvailable)(
  'controller stores (real processes, real PostgreSQL)',
  { timeout: 180_000 },
  () => {
    let dir: string
    let cleanup: () => Promise<void>
    const drops: (() => Promise<void>)[] = []

    beforeAll(async () => {
      ;({ dir, cleanup } = await tempDir('zh-store-'))
    })
    afterAll(async () => {
      await stopAllDaemons()
      for (const drop of drops) await drop()
      await cleanup?.()
    })

    async function database(): Promise<string> {
      const db = await createTestDatabase()
      drops.push(() => db.drop())
      return db.url
    }

    it('moves a network from SQLite to PostgreSQL without re-enrolling anyone', async () => {
      const ctl = join(dir, 'ctl')
      const listen = `127.0.0.1:${await freePort()}`
      const admin = <T>(...args: string[]) => cliJson<T>([...args, '--dir', ctl])
      expect((await runCli(['controller', 'init', '--dir', ctl, '--listen', listen])).code).toBe(0)
      let controller: Daemon = startDaemon(['controller', 'run', '--dir', ctl])
      await controller.waitFor((l) => l.msg === 'controller listening')
      await admin('router', 'create', 'r1', '--out', join(dir, 'r1.jwt'))
      const router = startDaemon([
        'router',
        'run',
        '--dir',
        join(dir, 'r1'),
        '--enroll',
        join(dir, 'r1.jwt'),
        '--listen',
        '127.0.0.1:0',
      ])
      await router.waitFor((l) => l.msg === 'control channel up')
      await admin('service', 'create', 'hooks', '--attr', 'webhooks')
      await admin(
        'policy',
        'create',
        'd',
        '--type',
        'dial',
        '--identities',
        '#senders',
        '--services',
        '#webhooks',
      )
      await admin(
        'policy',
        'create',
        'b',
        '--type',
        'bind',
        '--identities',
        '#receivers',
        '--services',
        '#webhooks',
      )
      const enrolled: Record<string, string> = {}
      for (const [name, attr] of [
        ['receiver', 'receivers'],
        ['ci', 'senders'],
      ] as const) {
        await admin('identity', 'create', name, '--attr', attr, '--out', join(dir, `${name}.jwt`))
        enrolled[name] = join(dir, `${name}.json`)
        expect(
          (await runCli(['enroll', join(dir, `${name}.jwt`), '--out', enrolled[name]])).code,
        ).toBe(0)
      }
      const receiver = startFixture('webhook-receiver.ts', [
        enrolled.receiver!,
        'hooks',
        'standard',
        SECRET,
      ])
      await receiver.waitFor((l) => l.event === 'ready')
      const send = async (n: number) => {
        const r = await runCli(
          [
            'send',
            '--identity',
            enrolled.ci!,
            '--service',
            'hooks',
            '--path',
            '/hook',
            '--data',
            `{"n":${n}}`,
            '--no-grant-cache',
            '--json',
          ],
          { ZEROHOOK_WEBHOOK_SECRET: SECRET }, // off the command line: stderr stays empty
        )
        expect(r.stderr).toBe('')
        return JSON.parse(r.stdout) as { status: number; id: string }
      }
      expect((await send(1)).status).toBe(202)
      const before = await admin<{ identities: { id: string; name: string }[] }>('identity', 'list')

      // Stop the controller (routers and endpoints keep running), move, start on PostgreSQL.
      await controller.stop()
      const url = await database()
      const moved = await cliJson<{
        network: string
        rows: Record<string, number>
        storeKeyFile: string
      }>(['controller', 'migrate', '--from', `sqlite:${ctl}`, '--to', url])
      expect(moved.rows).toMatchObject({
        identities: 3,
        routers: 1,
        services: 1,
        service_policies: 2,
      })
      expect(moved.storeKeyFile).toBe(join(ctl, 'store.key'))
      controller = startDaemon(['controller', 'run', '--dir', ctl])
      const listening = await controller.waitFor((l) => l.msg === 'controller listening')
      expect(String(listening.store)).toMatch(/^postgres:/)

      const after = await admin<{ identities: { id: string; name: string }[] }>('identity', 'list')
      expect(after.identities.map((i) => i.id).sort()).toEqual(
        before.identities.map((i) => i.id).sort(),
      )
      // The same identity files: grants from the new store, a webhook through the same router.
      const second = await send(2)
      expect(second.status).toBe(202)
      await receiver.waitFor((l) => l.event === 'webhook' && l.id === second.id)
      // A deletion on the new store still reaches the router: the moved certificate is refused.
      await admin('identity', 'delete', 'ci')
      const refused = await runCli([
        'send',
        '--identity',
        enrolled.ci!,
        '--service',
        'hooks',
        '--path',
        '/hook',
        '--data',
        '{}',
        '--secret',
        SECRET,
        '--no-grant-cache',
      ])
      expect(refused.code).toBe(1)
      expect(refused.stderr).toMatch(/ZH_(AUTH_CERT_REVOKED|IDENTITY_DELETED)/)
      // Migrating again into a database that holds a network changes nothing.
      const again = await runCli(['controller', 'migrate', '--from', `sqlite:${ctl}`, '--to', url])
      expect(again.code).toBe(1)
      expect(again.stderr).toMatch(/^ZH_CONFIG_INVALID/)
    })

    it('refuses a bad store at start with a ZH_STORE_* code and writes nothing', async () => {
      const url = await database()
      const a = join(dir, 'a')
      expect(
        (
          await runCli([
            'controller',
            'init',
            '--dir',
            a,
            '--store',
            url,
            '--listen',
            '127.0.0.1:0',
          ])
        ).code,
      ).toBe(0)
      const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
        runCli(['controller', ...args], env)
      const codeOf = (r: { code: number | null; stderr: string }) =>
        r.code === 1 ? r.stderr.split(':')[0] : `exit ${r.code}: ${r.stderr}`

      const unreachable = new URL(url)
      unreachable.port = String(await freePort())
      expect(codeOf(await run(['run', '--dir', a, '--store', unreachable.href]))).toBe(
        'ZH_STORE_UNREACHABLE',
      )
      // A password in the URL works but is visible in ps: a warning, and never echoed.
      const withPassword = new URL(unreachable.href)
      withPassword.password = 'pw-seen-in-ps'
      const warned = await run(['run', '--dir', a, '--store', withPassword.href])
      expect(warned.stderr).toContain('visible to other users')
      expect(warned.stderr).toMatch(/^ZH_STORE_UNREACHABLE: /m)
      expect(warned.stderr).not.toContain('pw-seen-in-ps')
      const noRole = new URL(url)
      noRole.username = 'zh_no_such_role'
      expect(codeOf(await run(['run', '--dir', a, '--store', noRole.href]))).toBe(
        'ZH_STORE_AUTH_FAILED',
      )
      expect(codeOf(await run(['run', '--dir', a, '--store', 'mysql://x/y']))).toBe(
        'ZH_STORE_URL_INVALID',
      )

      const wrongKey = join(dir, 'wrong.key')
      await writeFile(wrongKey, newStoreKey(), { mode: 0o600 })
      expect(codeOf(await run(['run', '--dir', a, '--store-key-file', wrongKey]))).toBe(
        'ZH_STORE_KEY_INVALID',
      )
      expect(
        codeOf(
          await run(['join', '--dir', join(dir, 'b'), '--store', url], { ZEROHOOK_STORE_KEY: '' }),
        ),
      ).toBe('ZH_STORE_KEY_MISSING')
      expect(
        codeOf(
          await run(['init', '--dir', join(dir, 'c'), '--store', url, '--listen', '127.0.0.1:0']),
        ),
      ).toBe('ZH_CONFIG_INVALID')
      const empty = await database()
      expect(
        codeOf(
          await run(['join', '--dir', join(dir, 'd'), '--store', empty], {
            ZEROHOOK_STORE_KEY: newStoreKey(),
          }),
        ),
      ).toBe('ZH_STORE_NOT_INITIALIZED')

      // A schema from a newer version: refused, and left exactly as it was.
      const client = new pg.Client({ connectionString: url })
      await client.connect()
      try {
        await client.query('UPDATE zh_schema SET version = version + 1')
        const r = await run(['run', '--dir', a])
        expect(codeOf(r)).toBe('ZH_STORE_SCHEMA_NEWER')
        expect(r.stderr).toMatch(/upgrade/)
        const version = await client.query<{ version: number }>('SELECT version FROM zh_schema')
        expect(version.rows).toHaveLength(1)
      } finally {
        await client.end()
      }
    })
  },
)
