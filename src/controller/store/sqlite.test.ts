import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, expect, it } from 'vitest'
import { codeOf } from '../../errors.test-util.js'
import { storeCompliance } from './compliance.test-util.js'
import { sqliteMigrations } from './migrations-sqlite.js'
import { openStore } from './open.js'

const dir = await mkdtemp(join(tmpdir(), 'zh-store-'))
const path = join(dir, 'zerohook.db')
afterAll(() => rm(dir, { recursive: true, force: true }))

storeCompliance('sqlite', async () => ({
  open: () => openStore(`sqlite:${path}`),
  replicas: false,
  makeSchemaNewer: async (s) =>
    void (await s.run(`PRAGMA user_version = ${sqliteMigrations.length + 1}`)),
  restoreSchema: async (s) =>
    void (await s.run(`PRAGMA user_version = ${sqliteMigrations.length}`)),
}))

it('creates the store file readable by its owner only', async () => {
  expect((await stat(path)).mode & 0o777).toBe(0o600)
})

it('rolls a failed migration back whole', async () => {
  const other = join(dir, 'conflict.db')
  const db = new Database(other)
  db.exec('CREATE TABLE changes (x INTEGER)') // what the fourth migration creates
  db.close()
  expect(await codeOf(openStore(`sqlite:${other}`))).toBe('ZH_STORE_MIGRATION_FAILED')
  const after = new Database(other)
  expect(after.pragma('user_version', { simple: true })).toBe(0)
  expect(after.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()).toEqual([
    { name: 'changes' },
  ])
  after.close()
})

it('says what it cannot open', async () => {
  expect(await codeOf(openStore(`sqlite:${join(dir, 'missing', 'x.db')}`))).toBe(
    'ZH_STORE_UNREACHABLE',
  )
  expect(await codeOf(openStore('mysql://x'))).toBe('ZH_STORE_URL_INVALID')
})
