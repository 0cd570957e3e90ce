import { afterEach, describe, expect, it } from 'vitest'
import { purgeIntervalMs } from './retention.js'
import { outboxes, status, testSender } from './sender.test-util.js'

const DELIVERS = 'https://delivers.example/hook'
const FAILS = 'https://fails.example/hook'
const GONE = 'https://gone.example/hook'
const HANGS = 'https://hangs.example/hook'
const LATER = 'https://later.example/hook'

describe('outbox purge interval', () => {
  it('is hourly, a quarter of a short retention, and never under a second', () => {
    expect(purgeIntervalMs(7 * 86_400_000)).toBe(3600_000)
    expect(purgeIntervalMs(4 * 3600_000)).toBe(3600_000)
    expect(purgeIntervalMs(60_000)).toBe(15_000)
    expect(purgeIntervalMs(1000)).toBe(1000)
  })
})

for (const [kind, open] of Object.entries(outboxes)) {
  describe(`sender retention (${kind} outbox)`, () => {
    const cleanup: (() => Promise<void>)[] = []
    afterEach(async () => {
      for (const step of cleanup.splice(0)) await step()
    })
    const sender = async () => {
      const { store, done } = await open()
      const t = testSender(
        store,
        (req) => {
          if (req.url === DELIVERS) return status(200)
          if (req.url === GONE) return status(410)
          if (req.url === HANGS) return 'hang'
          if (req.url === LATER) return status(429, { 'retry-after': '36000' })
          return status(500)
        },
        { retainMs: 10_000, timeoutMs: 24 * 3600_000, schedule: [0, 1000] },
      )
      cleanup.push(() => t.sender.close(), done)
      return { store, ...t }
    }

    it('purges settled messages past the retention with their attempts; never pending or in-flight ones', async () => {
      const t = await sender()
      const send = (endpoint: string) => t.sender.send({ endpoint, type: 't', data: {} })
      const delivered = await send(DELIVERS)
      const failed = await send(FAILS)
      const disabled = await send(GONE)
      const inFlight = await send(HANGS)
      const pending = await send(LATER)
      await t.clock.advance(1000) // the second and last attempt to FAILS
      expect(await t.store.counts()).toEqual({
        pending: 1,
        'in-flight': 1,
        delivered: 1,
        failed: 1,
        disabled: 1,
      })
      expect(await t.store.attempts(failed)).toHaveLength(2)

      // Settled at 0 s (delivered, disabled) and 1 s (failed); kept 10 s, purged every 2.5 s.
      await t.clock.advance(8000)
      for (const id of [delivered, failed, disabled]) expect(await t.store.get(id)).toBeDefined()
      await t.clock.advance(3500)
      for (const id of [delivered, failed, disabled]) {
        expect(await t.store.get(id)).toBeUndefined()
        expect(await t.store.attempts(id)).toEqual([])
      }
      await t.clock.advance(3600_000)
      expect((await t.store.get(inFlight))?.state).toBe('in-flight')
      expect((await t.store.get(pending))?.state).toBe('pending')
      expect(await t.store.attempts(pending)).toHaveLength(1)
    })

    it('stays flat under steady traffic: only the last retention (plus one interval) is kept', async () => {
      const t = await sender()
      const sent: string[] = []
      for (let i = 0; i < 100; i++) {
        sent.push(await t.sender.send({ endpoint: DELIVERS, type: 't', data: i }))
        await t.clock.advance(1000)
      }
      const kept = (await t.store.counts()).delivered
      expect(kept).toBeGreaterThanOrEqual(10)
      expect(kept).toBeLessThanOrEqual(13)
      // Everything settled within the retention is still there.
      for (const id of sent.slice(-10)) expect(await t.store.get(id)).toBeDefined()
      expect(await t.store.get(sent[0]!)).toBeUndefined()
    })
  })
}
