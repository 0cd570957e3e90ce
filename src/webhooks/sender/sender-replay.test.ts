import { afterEach, describe, expect, it } from 'vitest'
import { createSqliteOutbox } from './outbox-sqlite.js'
import { A, outboxes, status, testSender } from './sender.test-util.js'
import { RECHECK_MS } from './worker.js'

describe('a replay made by another process', () => {
  const cleanup: (() => Promise<void>)[] = []
  afterEach(async () => {
    for (const close of cleanup.splice(0)) await close()
  })

  it('is delivered by the running sender within RECHECK_MS', async () => {
    const { store, path, done } = await outboxes.sqlite!()
    cleanup.unshift(done)
    let answer = 500
    const t = testSender(store, () => status(answer), { schedule: [0] })
    cleanup.unshift(() => t.sender.close())
    const id = await t.sender.send({ endpoint: A, type: 't', data: {} })
    await t.sender.drain()
    expect(await store.get(id)).toMatchObject({ state: 'failed', attempts: 1 })
    await t.clock.advance(10 * RECHECK_MS)
    expect(t.calls).toHaveLength(1)

    // The console: its own handle on the same file.
    const console = createSqliteOutbox({ database: path! })
    cleanup.unshift(() => console.close())
    answer = 200
    expect(await console.replay(id, t.clock.now())).toBe(true)
    await t.clock.advance(RECHECK_MS)
    expect(t.calls).toHaveLength(2)
    expect(await console.get(id)).toMatchObject({ state: 'delivered', attempts: 2 })
    expect((await console.attempts(id)).map((a) => a.status)).toEqual([500, 200])
    expect(t.events.map((e) => e.event)).toEqual(['attempt-failed', 'failed', 'delivered'])
  })
})
