import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { codeOf } from '../../errors.test-util.js'
import { createMemoryOutbox } from './outbox-memory.js'
import { createSqliteOutbox } from './outbox-sqlite.js'
import { A, outboxes, status, testSender } from './sender.test-util.js'
import type { OutboxStore } from './types.js'

for (const [kind, open] of Object.entries(outboxes)) {
  describe(`sender pending cap (${kind} outbox)`, () => {
    const cleanup: (() => Promise<void>)[] = []
    afterEach(async () => {
      for (const step of cleanup.splice(0)) await step()
    })
    const outbox = async () => {
      const opened = await open()
      cleanup.push(opened.done)
      return opened
    }

    it('refuses a send with ZH_OUTBOX_FULL at maxPending, keeps delivering, then has room again', async () => {
      const { store } = await outbox()
      let up = false
      const t = testSender(store, () => (up ? status(200) : status(503)), { maxPending: 3 })
      cleanup.unshift(() => t.sender.close())
      const accepted = []
      for (let i = 0; i < 3; i++)
        accepted.push(await t.sender.send({ endpoint: A, type: 't', data: i }))
      await t.sender.drain()
      expect(await store.pendingCount()).toBe(3)

      expect(await codeOf(t.sender.send({ endpoint: A, type: 't', data: 3, id: 'over' }))).toBe(
        'ZH_OUTBOX_FULL',
      )
      expect(await store.get('over')).toBeUndefined()
      expect(Object.values(await store.counts()).reduce((a, b) => a + b)).toBe(3)
      // A repeated id was accepted before: it resolves, and is still queued once.
      expect(await t.sender.send({ endpoint: A, type: 't', data: 0, id: accepted[0] })).toBe(
        accepted[0],
      )

      up = true
      await t.clock.advance(1000)
      for (const id of accepted) {
        expect(await store.get(id)).toMatchObject({ state: 'delivered', attempts: 2 })
      }
      expect(await store.pendingCount()).toBe(0)
      const later = await t.sender.send({ endpoint: A, type: 't', data: 4 })
      await t.sender.drain()
      expect((await store.get(later))?.state).toBe('delivered')
    })

    it('counts messages in flight, and admits no more than the cap from concurrent sends', async () => {
      const { store } = await outbox()
      const t = testSender(store, () => 'hang', { maxPending: 3, concurrency: 2 })
      cleanup.unshift(() => t.sender.close())
      const sends = Array.from({ length: 5 }, (_, i) =>
        codeOf(t.sender.send({ endpoint: A, type: 't', data: i })),
      )
      const codes = await Promise.all(sends)
      expect(codes.filter((c) => c === 'no error')).toHaveLength(3)
      expect(codes.filter((c) => c === 'ZH_OUTBOX_FULL')).toHaveLength(2)
      await t.clock.settle()
      expect(await store.counts()).toMatchObject({ 'in-flight': 2, pending: 1 })
      expect(await store.pendingCount()).toBe(3)
    })

    it('still knows it is full after a restart', async () => {
      const { store, path } = await outbox()
      const first = testSender(store, () => status(503), { maxPending: 2 })
      await first.sender.send({ endpoint: A, type: 't', data: 1 })
      await first.sender.send({ endpoint: A, type: 't', data: 2 })
      await first.sender.close()

      const reopened: OutboxStore = path ? createSqliteOutbox({ database: path }) : store
      const second = testSender(reopened, () => status(503), { maxPending: 2 })
      cleanup.unshift(async () => {
        await second.sender.close()
        if (path) await reopened.close()
      })
      expect(await reopened.pendingCount()).toBe(2)
      expect(await codeOf(second.sender.send({ endpoint: A, type: 't', data: 3 }))).toBe(
        'ZH_OUTBOX_FULL',
      )
    })
  })
}

describe('sender maxPending option', () => {
  it('refuses a maxPending that is not a positive whole number', () => {
    for (const maxPending of [0, -1, 1.5, Number.NaN]) {
      expect(() => testSender(createMemoryOutbox(), () => status(200), { maxPending })).toThrow(
        expect.objectContaining({ code: 'ZH_SENDER_OPTIONS_INVALID' }),
      )
    }
  })
})

describe('sqlite outbox pending count', () => {
  it('follows every state change, and counts what an outbox from before the count holds', async () => {
    const db = new Database(':memory:')
    const store = createSqliteOutbox({ database: db })
    const message = (id: string) => ({
      id,
      endpoint: A,
      type: 't',
      body: new Uint8Array([1]),
      now: 0,
      nextAt: 0,
    })
    for (const id of ['a', 'b', 'c']) await store.enqueue(message(id))
    await store.enqueue(message('a')) // a repeat changes nothing
    expect(await store.pendingCount()).toBe(3)
    const [claimed] = await store.claimDue(0, 1)
    expect(await store.pendingCount()).toBe(3)
    const record = {
      messageId: claimed!.id,
      attempt: 1,
      at: 0,
      status: 200,
      latencyMs: 1,
      error: null,
    }
    await store.finish(record, { kind: 'delivered' })
    expect(await store.pendingCount()).toBe(2)
    await store.purge(10)
    expect(await store.pendingCount()).toBe(2)

    const again = createSqliteOutbox({ database: db })
    expect(await again.pendingCount()).toBe(2)
    expect(db.prepare('SELECT count(*) FROM zh_outbox_unsettled').pluck().get()).toBe(1)

    // An outbox written before the count existed: the count is made when it is opened.
    db.exec(`DROP TRIGGER zh_outbox_unsettled_insert; DROP TRIGGER zh_outbox_unsettled_update;
      DROP TRIGGER zh_outbox_unsettled_delete; DROP TABLE zh_outbox_unsettled`)
    await store.enqueue(message('d'))
    const reopened = createSqliteOutbox({ database: db })
    expect(await reopened.pendingCount()).toBe(3)
    db.close()
  })
})
