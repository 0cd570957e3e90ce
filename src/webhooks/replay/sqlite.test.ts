import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { createSqliteReplayStore } from './sqlite.js'

describe('sqlite replay store', () => {
  const dirs: string[] = []
  const file = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'zh-replay-'))
    dirs.push(dir)
    return join(dir, 'replay.db')
  }
  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
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

  it('purges expired rows on a timer too, so a store that goes quiet empties', async () => {
    vi.useFakeTimers({ now: 1_000_000_000 }) // Unix second 1,000,000
    const db = new Database(':memory:')
    const rows = () => db.prepare('SELECT key FROM zh_webhook_replay ORDER BY key').pluck().all()
    const store = createSqliteReplayStore({ database: db, purgeIntervalMs: 60_000 })
    await store.checkAndRemember('old', 1_000_030, 1_000_000)
    await store.checkAndRemember('live', 1_000_300, 1_000_000)
    vi.advanceTimersByTime(59_999)
    expect(rows()).toEqual(['live', 'old'])
    vi.advanceTimersByTime(1)
    expect(rows()).toEqual(['live'])
    expect(vi.getTimerCount()).toBe(1)
    await store.close()
    expect(vi.getTimerCount()).toBe(0)
    db.close()
  })

  it('never keeps the process alive with its timer, and refuses a bad interval', async () => {
    const spy = vi.spyOn(globalThis, 'setInterval')
    const store = createSqliteReplayStore({ database: ':memory:' })
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout
    expect(timer.hasRef()).toBe(false)
    await store.close()
    for (const purgeIntervalMs of [0, -1, 1.5]) {
      expect(() => createSqliteReplayStore({ database: ':memory:', purgeIntervalMs })).toThrow(
        expect.objectContaining({ code: 'ZH_WEBHOOK_OPTIONS_INVALID' }),
      )
    }
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
