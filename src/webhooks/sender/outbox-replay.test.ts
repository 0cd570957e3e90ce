import { afterEach, describe, expect, it } from 'vitest'
import { A, B, T0, outboxes } from './sender.test-util.js'
import type { AttemptOutcome, OutboxStore } from './types.js'

const body = new Uint8Array([123, 125])

/** Enqueues `id` at `at` and, unless `outcome` is omitted, attempts it once with that outcome. */
async function put(
  store: OutboxStore,
  id: string,
  at: number,
  endpoint = A,
  outcome?: AttemptOutcome,
): Promise<void> {
  await store.enqueue({ id, endpoint, type: 't', body, now: at, nextAt: at })
  if (!outcome) return
  await store.claimDue(at, 1000)
  const status = outcome.kind === 'disable' ? 410 : 500
  await store.finish({ messageId: id, attempt: 1, at, status, latencyMs: 5, error: null }, outcome)
}

for (const [kind, open] of Object.entries(outboxes)) {
  describe(`outbox list and replay (${kind})`, () => {
    const cleanup: (() => Promise<void>)[] = []
    const outbox = async () => {
      const o = await open()
      cleanup.push(o.done)
      return o.store
    }
    afterEach(async () => {
      for (const done of cleanup.splice(0)) await done()
    })

    it('lists newest first, filtered by state and endpoint, a page at a time', async () => {
      const store = await outbox()
      await put(store, 'm1', T0, A, { kind: 'failed' })
      await put(store, 'm2', T0 + 1, B)
      await put(store, 'm3', T0 + 2, A)
      await put(store, 'm4', T0 + 2, A)
      const ids = async (filter: Parameters<OutboxStore['list']>[0]) =>
        (await store.list(filter)).map((m) => m.id)
      expect(await ids({})).toEqual(['m4', 'm3', 'm2', 'm1'])
      expect(await ids({ state: 'failed' })).toEqual(['m1'])
      expect(await ids({ state: 'pending', endpoint: A })).toEqual(['m4', 'm3'])
      expect(await ids({ endpoint: B })).toEqual(['m2'])
      expect(await ids({ limit: 2 })).toEqual(['m4', 'm3'])
      expect(await ids({ limit: 2, before: 'm3' })).toEqual(['m2', 'm1'])
      expect(await ids({ before: 'm1' })).toEqual([])
      expect(await ids({ before: 'nope' })).toEqual([])
      expect(await store.list({ state: 'failed' })).toEqual([
        expect.objectContaining({ id: 'm1', endpoint: A, attempts: 1, lastStatus: 500 }),
      ])
    })

    it('caps a page at 1000 and defaults to 100', async () => {
      const store = await outbox()
      for (let i = 0; i < 1001; i++) await put(store, `m${i}`, T0 + i)
      expect(await store.list({})).toHaveLength(100)
      expect(await store.list({ limit: 5000 })).toHaveLength(1000)
      expect(await store.list({ limit: 0 })).toHaveLength(100)
    })

    it('replays a failed message: pending, due now, its attempt log kept', async () => {
      const store = await outbox()
      await put(store, 'm1', T0, A, { kind: 'failed' })
      expect(await store.replay('m1', T0 + 60_000)).toBe(true)
      expect(await store.get('m1')).toMatchObject({
        state: 'pending',
        nextAt: T0 + 60_000,
        attempts: 1,
      })
      expect(await store.attempts('m1')).toHaveLength(1)
      expect(await store.nextDueAt()).toBe(T0 + 60_000)
      expect(await store.pendingCount()).toBe(1)
      expect((await store.claimDue(T0 + 60_000, 10)).map((m) => m.id)).toEqual(['m1'])
    })

    it('replays a disabled message and re-enables its endpoint', async () => {
      const store = await outbox()
      await put(store, 'm1', T0, A, { kind: 'disable' })
      expect(await store.isDisabled(A)).toBe(true)
      expect(await store.replay('m1', T0 + 1)).toBe(true)
      expect(await store.isDisabled(A)).toBe(false)
      expect(await store.get('m1')).toMatchObject({ state: 'pending', nextAt: T0 + 1 })
    })

    it('refuses, changing nothing, a message neither failed nor disabled, or unknown', async () => {
      const store = await outbox()
      await put(store, 'in-flight', T0)
      await put(store, 'done', T0, B)
      await store.claimDue(T0, 10)
      await store.finish(
        { messageId: 'done', attempt: 1, at: T0, status: 200, latencyMs: 1, error: null },
        { kind: 'delivered' },
      )
      await put(store, 'waiting', T0 + 5, A)
      const before = await store.list({})
      for (const id of ['in-flight', 'done', 'waiting', 'unknown']) {
        expect(await store.replay(id, T0 + 100)).toBe(false)
      }
      expect(await store.list({})).toEqual(before)
    })
  })
}
