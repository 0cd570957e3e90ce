import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { createSqliteReplayStore } from './sqlite.js'

describe('sqlite replay store', () => {
  const dirs: string[] = []
  const file = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'zh-replay-'))
    dirs.push(dir)
    return join(dir, 'replay.db')
  }
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
  })

  it('says new once, then repeat until expiry, in WAL mode', async () => {
    const path = file()
    const store = createSqliteReplayStore({ database: path })
    expect(await store.checkAndRemember('standard:id:a', 110, 100)).toBe(true)
    expect(await store.checkAndRemember('standard:id:a', 200, 105)).toBe(false)
    expect(await store.checkAndRemember('standard:id:a', 200, 110)).toBe(true)
    await store.close()
    const db = new Database(path)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('agrees across two connections and survives a restart', async () => {
    const path = file()
    const one = createSqliteReplayStore({ database: path })
    const two = createSqliteReplayStore({ database: path })
    expect(await one.checkAndRemember('k', 1000, 0)).toBe(true)
    expect(await two.checkAndRemember('k', 1000, 1)).toBe(false)
    await one.close()
    await two.close()
    const again = createSqliteReplayStore({ database: path })
    expect(await again.checkAndRemember('k', 1000, 2)).toBe(false)
    await again.forget('k')
    expect(await again.checkAndRemember('k', 1000, 3)).toBe(true)
    await again.close()
  })

  it('purges expired rows, on demand and as ids arrive', async () => {
    const db = new Database(':memory:')
    const store = createSqliteReplayStore({ database: db, purgeEvery: 5 })
    for (let i = 0; i < 4; i++) await store.checkAndRemember(`old${i}`, 10, 0)
    await store.checkAndRemember('live', 1000, 20)
    expect(db.prepare('SELECT count(*) AS n FROM zh_webhook_replay').get()).toEqual({ n: 1 })
    await store.checkAndRemember('x', 30, 20)
    expect(await store.purge(40)).toBe(1)
    await store.close()
    expect(db.open).toBe(true)
    db.close()
  })

  it('reports a failing database as ZH_WEBHOOK_REPLAY_STORE_FAILED, and refuses odd table names', async () => {
    const db = new Database(':memory:')
    const store = createSqliteReplayStore({ database: db })
    db.close()
    await expect(store.checkAndRemember('k', 10, 0)).rejects.toMatchObject({
      code: 'ZH_WEBHOOK_REPLAY_STORE_FAILED',
    })
    expect(() => createSqliteReplayStore({ database: ':memory:', table: 'x; DROP' })).toThrow(
      expect.objectContaining({ code: 'ZH_WEBHOOK_OPTIONS_INVALID' }),
    )
  })
})
