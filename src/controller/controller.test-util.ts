import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino, { type Logger } from 'pino'
import { loadIdentity, type IdentityFile } from '../sdk/identity-file.js'
import type { ControllerSettings } from './context.js'
import { initController } from './init.js'
import type { Lifetimes } from './lifetimes.js'
import { runController, type RunningController } from './run.js'
import { createTestDatabase } from './store/pg.test-util.js'

/** An in-process controller on a loopback port picked by the OS, for API-level tests. */
export interface TestController extends RunningController {
  dir: string
  admin: IdentityFile
  /** Every row of every table, for "the store is unchanged" assertions. */
  dump(): Promise<Record<string, unknown[]>>
  stop(): Promise<void>
}

/** Creates and starts a controller in a fresh temporary directory. */
export async function startTestController(
  opts: {
    network?: string
    settings?: Partial<ControllerSettings>
    /** Lifetimes given to `init` (the controller's own certificate and the admin's come from here). */
    lifetimes?: Partial<Lifetimes>
    caTtl?: number
    log?: Logger
    /** Run on a fresh PostgreSQL database instead of SQLite (dropped at stop). */
    postgres?: boolean
  } = {},
): Promise<TestController> {
  const dir = await mkdtemp(join(tmpdir(), 'zh-ctrl-'))
  const database = opts.postgres ? await createTestDatabase() : undefined
  await initController({
    dir,
    network: opts.network ?? 'test',
    listen: '127.0.0.1:0',
    lifetimes: opts.lifetimes,
    caTtl: opts.caTtl,
    store: database?.url,
  })
  const running = await runController({
    dir,
    settings: opts.settings,
    log: opts.log ?? pino({ level: 'silent' }),
  })
  const admin = await loadIdentity(join(dir, 'admin.json'))
  const tables = [
    'meta',
    'identities',
    'routers',
    'services',
    'service_policies',
    'router_policies',
    'enrollments',
    'certificates',
    'renewals',
    'changes',
    'secrets',
  ]
  return {
    ...running,
    dir,
    admin,
    dump: async () => {
      const all: Record<string, unknown[]> = {}
      for (const t of tables) all[t] = await running.ctx.db.all(`SELECT * FROM ${t} ORDER BY 1`)
      return all
    },
    stop: async () => {
      await running.close()
      await database?.drop()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
