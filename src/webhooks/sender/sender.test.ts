import { afterEach, describe, expect, it } from 'vitest'
import { verifyWebhook } from '../verify.js'
import type { OutboxStore } from './types.js'
import { A, B, SECRET, T0, outboxes, status, testSender, type Script } from './sender.test-util.js'
import type { TransportRequest } from './types.js'

for (const [kind, open] of Object.entries(outboxes)) {
  describe(`durable sender (${kind} outbox)`, () => {
    let store: OutboxStore
    let done: () => Promise<void>
    const closers: (() => Promise<void>)[] = []
    const make = async (
      script: (req: TransportRequest, n: number) => Script,
      more: Parameters<typeof testSender>[2] = {},
    ) => {
      ;({ store, done } = await open())
      const t = testSender(store, script, more)
      closers.push(() => t.sender.close(), done)
      return t
    }
    afterEach(async () => {
      for (const close of closers.splice(0)) await close()
    })

    it('writes the message to the outbox before the first attempt, then delivers it', async () => {
      const seenInOutbox: unknown[] = []
      const t = await make((req) => {
        seenInOutbox.push(store.get(req.headers['webhook-id']!))
        return status(200)
      })
      const id = await t.sender.send({ endpoint: A, type: 'invoice.paid', data: { n: 1 } })
      await t.sender.drain()
      await expect(seenInOutbox[0]).resolves.toMatchObject({ id, endpoint: A })
      expect(await store.get(id)).toMatchObject({
        state: 'delivered',
        attempts: 1,
        lastStatus: 200,
      })
      const body = JSON.parse(Buffer.from(t.calls[0]!.req.body).toString()) as object
      expect(body).toEqual({
        type: 'invoice.paid',
        timestamp: new Date(T0).toISOString(),
        data: { n: 1 },
      })
      expect(t.events.map((e) => e.event)).toEqual(['delivered'])
    })

    it('retries on the schedule, then fails; each attempt re-signed with a fresh timestamp', async () => {
      const t = await make(() => status(500))
      const id = await t.sender.send({ endpoint: A, type: 't', data: {} })
      await t.clock.advance(60_000)
      expect(t.calls.map((c) => c.at - T0)).toEqual([0, 1000, 6000, 16000])
      const stamps = t.calls.map((c) => c.req.headers['webhook-timestamp'])
      expect(stamps).toEqual(['0', '1', '6', '16'].map((s) => String(T0 / 1000 + Number(s))))
      for (const c of t.calls) {
        expect(c.req.headers['webhook-id']).toBe(id)
        await verifyWebhook({
          scheme: 'standard',
          secret: SECRET,
          headers: c.req.headers,
          body: c.req.body,
          now: new Date(c.at),
        })
      }
      expect(t.events.map((e) => e.event)).toEqual([
        ...Array<string>(4).fill('attempt-failed'),
        'failed',
      ])
      expect(await store.get(id)).toMatchObject({ state: 'failed', attempts: 4, nextAt: null })
    })

    it('keeps jitter within ±jitter of each delay', async () => {
      for (const [random, delay] of [
        [0, 800],
        [0.999999, 1200],
      ] as const) {
        const t = await make(() => status(503), { jitter: 0.2, random: () => random })
        await t.sender.send({ endpoint: A, type: 't', data: {} })
        await t.sender.drain()
        const failed = t.events[0]!.payload as { nextAt: number }
        expect(failed.nextAt - T0).toBe(delay)
      }
    })

    it('honours Retry-After in seconds and as an HTTP date, capped, never before the schedule', async () => {
      const cases: [Record<string, string>, number][] = [
        [{ 'Retry-After': '30' }, 30_000],
        [{ 'retry-after': new Date(T0 + 45_000).toUTCString() }, 45_000],
        [{ 'retry-after': '99999' }, 120_000],
        [{ 'retry-after': '0' }, 1000],
        [{ 'retry-after': 'soon' }, 1000],
      ]
      for (const [headers, wait] of cases) {
        const t = await make(() => status(429, headers), { maxRetryAfterMs: 120_000 })
        await t.sender.send({ endpoint: A, type: 't', data: {} })
        await t.sender.drain()
        expect((t.events[0]!.payload as { nextAt: number }).nextAt - T0).toBe(wait)
      }
    })

    it('treats 3xx as failure (redirects are not followed)', async () => {
      for (const code of [301, 302, 307, 308]) {
        const t = await make(() => status(code, { location: 'http://169.254.169.254/' }))
        const id = await t.sender.send({ endpoint: A, type: 't', data: {} })
        await t.sender.drain()
        expect(t.events.map((e) => e.event)).toEqual(['attempt-failed'])
        expect(await store.get(id)).toMatchObject({ state: 'pending', lastStatus: code })
      }
    })

    it('410 disables the endpoint: its pending messages stop, new sends are refused', async () => {
      const t = await make((req) => (req.url === A ? status(410) : status(204)), {
        concurrency: 1,
      })
      const first = await t.sender.send({ endpoint: A, type: 't', data: 1 })
      const second = await t.sender.send({ endpoint: A, type: 't', data: 2 })
      const other = await t.sender.send({ endpoint: B, type: 't', data: 3 })
      await t.sender.drain()
      const disabled = t.events.find((e) => e.event === 'endpoint-disabled')!.payload
      expect(disabled).toEqual({ endpoint: A, ids: [first, second] })
      expect(t.calls.filter((c) => c.req.url === A)).toHaveLength(1)
      for (const id of [first, second]) expect((await store.get(id))!.state).toBe('disabled')
      expect((await store.get(other))!.state).toBe('delivered')
      await expect(t.sender.send({ endpoint: A, type: 't', data: 4 })).rejects.toMatchObject({
        code: 'ZH_SENDER_ENDPOINT_DISABLED',
      })
      await t.sender.enableEndpoint(A)
      await expect(t.sender.send({ endpoint: A, type: 't', data: 5 })).resolves.toMatch(/^msg_/)
    })

    it('times out an attempt at 15 s and retries it', async () => {
      const t = await make((_req, n) => (n === 1 ? 'hang' : status(200)))
      const id = await t.sender.send({ endpoint: A, type: 't', data: {} })
      await t.clock.advance(14_999)
      expect(t.events).toHaveLength(0)
      await t.clock.advance(1)
      expect(t.events[0]).toMatchObject({
        event: 'attempt-failed',
        payload: { error: 'ZH_SENDER_TIMEOUT', status: null },
      })
      expect(t.calls[0]!.req.signal!.aborted).toBe(true)
      await t.clock.advance(1000)
      expect(await store.get(id)).toMatchObject({ state: 'delivered', attempts: 2 })
    })

    it('a 409 that says "replayed" means the receiver has it; any other 409 is a failure', async () => {
      const t = await make((_req, n) =>
        n === 1 ? status(409) : status(409, { 'zerohook-code': 'ZH_WEBHOOK_REPLAYED' }),
      )
      const id = await t.sender.send({ endpoint: A, type: 't', data: {} })
      await t.clock.advance(1000)
      expect(t.events.map((e) => e.event)).toEqual(['attempt-failed', 'delivered'])
      expect(t.events[1]!.payload).toMatchObject({ duplicate: true, attempt: 2 })
      expect((await store.get(id))!.state).toBe('delivered')
    })

    it('logs every attempt (status, latency, error) in the outbox and the log, never body or secret', async () => {
      const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
      const t = await make((_req, n) => {
        t.clock.tick(25)
        return n === 1 ? refused : n === 2 ? status(502) : status(200)
      })
      const id = await t.sender.send({ endpoint: B, type: 't', data: { card: '4242-secret-data' } })
      await t.clock.advance(10_000)
      const attempts = await store.attempts(id)
      expect(
        attempts.map(({ attempt, status, latencyMs, error }) => ({
          attempt,
          status,
          latencyMs,
          error,
        })),
      ).toEqual([
        {
          attempt: 1,
          status: null,
          latencyMs: 25,
          error: 'ZH_SENDER_CONNECT_FAILED (ECONNREFUSED)',
        },
        { attempt: 2, status: 502, latencyMs: 25, error: null },
        { attempt: 3, status: 200, latencyMs: 25, error: null },
      ])
      expect(t.log.lines.map((l) => l.msg)).toEqual([
        'webhook attempt failed',
        'webhook attempt failed',
        'webhook delivered',
      ])
      const text = JSON.stringify(t.log.lines)
      for (const secret of ['4242-secret-data', SECRET, 's3cr3t-query'])
        expect(text).not.toContain(secret)
    })
  })
}
