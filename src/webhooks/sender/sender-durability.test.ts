import { afterEach, describe, expect, it } from 'vitest'
import { createSqliteOutbox } from './outbox-sqlite.js'
import { A, B, outboxes, status, testSender } from './sender.test-util.js'
import type { OutboxStore } from './types.js'

for (const [kind, open] of Object.entries(outboxes)) {
  describe(`sender durability and limits (${kind} outbox)`, () => {
    const cleanup: (() => Promise<void>)[] = []
    afterEach(async () => {
      for (const step of cleanup.splice(0)) await step()
    })
    const outbox = async () => {
      const opened = await open()
      cleanup.push(opened.done)
      return opened
    }

    it('resumes after a restart: a message caught in flight by a crash is sent again', async () => {
      const { store, path } = await outbox()
      const crashed = testSender(store, () => 'hang')
      const id = await crashed.sender.send({ endpoint: A, type: 't', data: {} })
      await crashed.clock.settle()
      expect((await store.get(id))!.state).toBe('in-flight')

      // A new process: same outbox (reopened from disk for SQLite), nothing sent again by hand.
      const reopened: OutboxStore = path ? createSqliteOutbox({ database: path }) : store
      const restarted = testSender(reopened, () => status(200))
      cleanup.unshift(async () => {
        await restarted.sender.close()
        await crashed.sender.close()
        if (path) await reopened.close()
      })
      await restarted.sender.drain()
      expect(restarted.calls.map((c) => c.req.headers['webhook-id'])).toEqual([id])
      expect(await reopened.get(id)).toMatchObject({ state: 'delivered', attempts: 1 })
      expect((await reopened.attempts(id)).map((a) => a.status)).toEqual([200])
    })

    it('close() cuts attempts under way without recording them, so they resume later', async () => {
      const { store } = await outbox()
      const t = testSender(store, () => 'hang')
      const id = await t.sender.send({ endpoint: A, type: 't', data: {} })
      await t.clock.settle()
      await t.sender.close()
      expect(await store.get(id)).toMatchObject({ state: 'in-flight', attempts: 0 })
      expect(await store.attempts(id)).toEqual([])
      await expect(t.sender.send({ endpoint: A, type: 't', data: {} })).rejects.toMatchObject({
        code: 'ZH_SENDER_CLOSED',
      })
    })

    it('never runs more attempts at once than its concurrency', async () => {
      const { store } = await outbox()
      let open = 0
      let peak = 0
      const t = testSender(
        store,
        () => {
          peak = Math.max(peak, ++open)
          return 'hang'
        },
        { concurrency: 3 },
      )
      cleanup.unshift(() => t.sender.close())
      for (let i = 0; i < 10; i++) await t.sender.send({ endpoint: A, type: 't', data: i })
      await t.clock.settle()
      expect(t.calls).toHaveLength(3)
      expect(peak).toBe(3)
      expect((await store.counts())['in-flight']).toBe(3)
    })

    it('drain() resolves when nothing is due, even with retries scheduled later', async () => {
      const { store } = await outbox()
      const t = testSender(store, (_req, n) => (n === 1 ? status(500) : status(200)))
      cleanup.unshift(() => t.sender.close())
      const id = await t.sender.send({ endpoint: A, type: 't', data: {} })
      await t.sender.drain()
      expect(await store.get(id)).toMatchObject({ state: 'pending', nextAt: t.clock.now() + 1000 })
      await t.clock.advance(1000)
      await t.sender.drain()
      expect((await store.get(id))!.state).toBe('delivered')
    })

    it('bounds what it accepts: body size, endpoint, id, type; a repeated id is queued once', async () => {
      const { store } = await outbox()
      const t = testSender(store, () => status(200), { maxBodyBytes: 100 })
      cleanup.unshift(() => t.sender.close())
      const refusals: [object, string][] = [
        [{ endpoint: A, type: 't', data: 'x'.repeat(100) }, 'ZH_SENDER_BODY_TOO_LARGE'],
        [{ endpoint: 'ftp://a.example/', type: 't', data: 1 }, 'ZH_SENDER_ENDPOINT_INVALID'],
        [
          { endpoint: 'https://user:pw@a.example/', type: 't', data: 1 },
          'ZH_SENDER_ENDPOINT_INVALID',
        ],
        [{ endpoint: A, type: '', data: 1 }, 'ZH_SENDER_MESSAGE_INVALID'],
        [{ endpoint: A, type: 't', data: 1, id: 'a,b' }, 'ZH_SENDER_MESSAGE_INVALID'],
      ]
      for (const [message, code] of refusals) {
        await expect(t.sender.send(message as never)).rejects.toMatchObject({ code })
      }
      expect(await t.sender.send({ endpoint: A, type: 't', data: 1, id: 'order-7' })).toBe(
        'order-7',
      )
      expect(await t.sender.send({ endpoint: A, type: 't', data: 1, id: 'order-7' })).toBe(
        'order-7',
      )
      await t.sender.drain()
      expect(t.calls).toHaveLength(1)
      expect(await store.counts()).toMatchObject({ delivered: 1, pending: 0 })
    })

    it('purges settled messages and their attempts', async () => {
      const { store } = await outbox()
      const t = testSender(store, () => status(200))
      cleanup.unshift(() => t.sender.close())
      const id = await t.sender.send({ endpoint: A, type: 't', data: {} })
      await t.sender.drain()
      expect(await store.purge(t.clock.now())).toBe(0)
      expect(await store.purge(t.clock.now() + 1)).toBe(1)
      expect(await store.get(id)).toBeUndefined()
      expect(await store.attempts(id)).toEqual([])
    })

    it('purges settled messages on its own once their retention has passed', async () => {
      const { store } = await outbox()
      const t = testSender(store, (req) => status(req.url === A ? 200 : 503), {
        retainMs: 2 * 3600_000,
        schedule: [0, 10 * 3600_000],
      })
      cleanup.unshift(() => t.sender.close())
      const delivered = await t.sender.send({ endpoint: A, type: 't', data: {} })
      const waiting = await t.sender.send({ endpoint: B, type: 't', data: {} })
      await t.clock.advance(1)
      expect(await store.get(delivered)).toBeDefined()
      await t.clock.advance(3600_000) // one hour: not yet past the retention
      expect(await store.get(delivered)).toBeDefined()
      await t.clock.advance(2 * 3600_000)
      expect(await store.get(delivered)).toBeUndefined()
      expect(await store.attempts(delivered)).toEqual([])
      // A message still waiting for its retry is never purged, however old.
      expect((await store.get(waiting))?.state).toBe('pending')
    })
  })
}
