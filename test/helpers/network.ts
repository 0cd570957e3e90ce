import { join, resolve } from 'node:path'
import { loadIdentity, type IdentityFile } from '../../src/sdk/identity-file.js'
import { cliJson, runCli, startDaemon, startProcess, tempDir, type Daemon } from './cli.js'

/** A whole network on loopback, started as real processes through the CLI. */
export interface TestNetwork {
  dir: string
  controller: Daemon
  routers: Daemon[]
  /** Runs a management command as the admin, returning its --json output. */
  admin<T = unknown>(...args: string[]): Promise<T>
  /** Creates a dial or bind service policy (ROLES as the CLI takes them: `#attr,@name`). */
  policy(
    name: string,
    type: 'dial' | 'bind',
    identities: string,
    services: string,
  ): Promise<unknown>
  /** Creates and enrolls an identity, returning its identity file path and contents. */
  identity(name: string, attrs: string[]): Promise<{ file: string; identity: IdentityFile }>
  /** Starts another router process (`flags`: more `router run` flags, e.g. `--knock`). */
  addRouter(name: string, flags?: string[]): Promise<Daemon>
  cleanup(): Promise<void>
}

/**
 * Starts a controller and `routers` routers (each waits until its control channel is up);
 * `init` and `run` are extra flags of `controller init` and `controller run` (lifetimes, say).
 */
export async function startNetwork(
  routers = 1,
  flags: { init?: string[]; run?: string[] } = {},
): Promise<TestNetwork> {
  const { dir, cleanup } = await tempDir('zh-net-')
  const init = await runCli([
    'controller',
    'init',
    '--dir',
    join(dir, 'ctl'),
    '--listen',
    '127.0.0.1:0',
    ...(flags.init ?? []),
  ])
  if (init.code !== 0) throw new Error(init.stderr)
  const controller = startDaemon([
    'controller',
    'run',
    '--dir',
    join(dir, 'ctl'),
    ...(flags.run ?? []),
  ])
  await controller.waitFor((l) => l.msg === 'controller listening')
  const admin = <T>(...args: string[]) => cliJson<T>([...args, '--dir', join(dir, 'ctl')])
  const net: TestNetwork = {
    dir,
    controller,
    routers: [],
    admin,
    policy: (name, type, identities, services) =>
      admin(
        'policy',
        'create',
        name,
        '--type',
        type,
        '--identities',
        identities,
        '--services',
        services,
      ),
    identity: async (name, attrs) => {
      const token = join(dir, `${name}.jwt`)
      await admin('identity', 'create', name, '--attr', attrs.join(','), '--out', token)
      const file = join(dir, `${name}.json`)
      const r = await runCli(['enroll', token, '--out', file])
      if (r.code !== 0) throw new Error(r.stderr)
      return { file, identity: await loadIdentity(file) }
    },
    addRouter: async (name, flags = []) => {
      const token = join(dir, `${name}.jwt`)
      await admin('router', 'create', name, '--out', token)
      const router = startDaemon([
        'router',
        'run',
        '--dir',
        join(dir, name),
        '--enroll',
        token,
        '--listen',
        '127.0.0.1:0',
        '--capture',
        join(dir, `${name}.capture`),
        ...flags,
      ])
      await router.waitFor((l) => l.msg === 'control channel up')
      net.routers.push(router)
      return router
    },
    cleanup,
  }
  for (let i = 0; i < routers; i++) await net.addRouter(`router-${i + 1}`)
  return net
}

/** A TypeScript fixture run as a real process (`node --import tsx`), with its JSON lines. */
export function startFixture(
  script: string,
  args: string[],
  opts: { stdin?: boolean } = {},
): Daemon {
  return startProcess(
    ['--import', 'tsx', resolve(import.meta.dirname, '../fixtures', script), ...args],
    opts,
  )
}
