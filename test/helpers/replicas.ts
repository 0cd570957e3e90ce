import { join } from 'node:path'
import { createTestDatabase } from '../../src/controller/store/pg.test-util.js'
import { loadIdentity, type IdentityFile } from '../../src/sdk/identity-file.js'
import { cliJson, runCli, startDaemon, tempDir, type Daemon } from './cli.js'

/** A network kept in PostgreSQL with two controller replicas, A and B, as real processes. */
export interface ReplicatedNetwork {
  dir: string
  dbUrl: string
  replicas: { a: Daemon; b: Daemon }
  urls: { a: string; b: string }
  /** A management command as the admin, sent to replica `on`; its --json output. */
  admin<T = unknown>(on: 'a' | 'b', ...args: string[]): Promise<T>
  /** Creates (on `on`) and enrolls an identity. */
  identity(
    on: 'a' | 'b',
    name: string,
    attrs: string[],
  ): Promise<{ file: string; identity: IdentityFile }>
  /** Creates a router on `on` and runs it (it enrolls at, and first talks to, that replica). */
  router(on: 'a' | 'b', name: string): Promise<Daemon>
  cleanup(): Promise<void>
}

function replicaUrl(d: Daemon): string {
  const line = d.lines.find((l) => l.msg === 'controller listening')
  return String(line!.url)
}

/** `controller init --store` (replica A), `controller join` (replica B), both running. */
export async function startReplicatedNetwork(
  flags: { run?: string[] } = {},
): Promise<ReplicatedNetwork> {
  const { dir, cleanup } = await tempDir('zh-repl-')
  const db = await createTestDatabase()
  const dirA = join(dir, 'ctl-a')
  const dirB = join(dir, 'ctl-b')
  const keyFile = join(dirA, 'store.key')
  const init = await runCli([
    'controller',
    'init',
    '--dir',
    dirA,
    '--store',
    db.url,
    '--listen',
    '127.0.0.1:0',
  ])
  if (init.code !== 0) throw new Error(init.stderr)
  const join_ = await runCli([
    'controller',
    'join',
    '--dir',
    dirB,
    '--store',
    db.url,
    '--store-key-file',
    keyFile,
    '--listen',
    '127.0.0.1:0',
  ])
  if (join_.code !== 0) throw new Error(join_.stderr)
  const a = startDaemon(['controller', 'run', '--dir', dirA, ...(flags.run ?? [])])
  await a.waitFor((l) => l.msg === 'controller listening')
  const b = startDaemon([
    'controller',
    'run',
    '--dir',
    dirB,
    '--store-key-file',
    keyFile,
    ...(flags.run ?? []),
  ])
  await b.waitFor((l) => l.msg === 'controller listening')
  const urls = { a: replicaUrl(a), b: replicaUrl(b) }
  const adminFile = join(dirA, 'admin.json')
  const admin = <T>(on: 'a' | 'b', ...args: string[]) =>
    cliJson<T>([...args, '--admin', adminFile, '--controller', urls[on]])
  return {
    dir,
    dbUrl: db.url,
    replicas: { a, b },
    urls,
    admin,
    identity: async (on, name, attrs) => {
      const token = join(dir, `${name}.jwt`)
      await admin(on, 'identity', 'create', name, '--attr', attrs.join(','), '--out', token)
      const file = join(dir, `${name}.json`)
      const r = await runCli(['enroll', token, '--out', file])
      if (r.code !== 0) throw new Error(r.stderr)
      return { file, identity: await loadIdentity(file) }
    },
    router: async (on, name) => {
      const token = join(dir, `${name}.jwt`)
      await admin(on, 'router', 'create', name, '--out', token)
      const router = startDaemon([
        'router',
        'run',
        '--dir',
        join(dir, name),
        '--enroll',
        token,
        '--listen',
        '127.0.0.1:0',
      ])
      await router.waitFor((l) => l.msg === 'control channel up')
      return router
    },
    cleanup: async () => {
      await db.drop()
      await cleanup()
    },
  }
}
