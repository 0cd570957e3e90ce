import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MockAgent } from 'undici'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { codeOf } from '../errors.test-util.js'
import type { ForwardConfig } from './config.js'
import { createForwarder, type ForwardLog, type Forwarder } from './forwarder.js'
import { openForwardQueue, type ForwardQueue } from './queue.js'

const quiet: ForwardLog = { info: () => undefined, warn: () => undefined, error: () => undefined }
const ORIGIN = 'http://jenkins-webhook'

let dir: string
let queue: ForwardQueue
let agent: MockAgent
let forgotten: string[]
let made: Forwarder[]

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'zh-gw-forward-'))
  queue = openForwardQueue(join(dir, 'outbox.db'))
  agent = new MockAgent()
  agent.disableNetConnect()
  forgotten = []
  made = []
})
afterEach(async () => {
  vi.useRealTimers()
  await Promise.all(made.map((f) => f.close()))
  queue.close()
  await agent.close()
  rmSync(dir, { recursive: true, force: true })
})

function forwarder(
  delaysMs = [0, 20],
  maxAttempts = 5,
  more: Partial<ForwardConfig> = {},
): Forwarder {
  const f = createForwarder({
    queue,
    dispatcher: agent,
    config: { timeoutMs: 2000, delaysMs, maxAttempts, ...more },
    log: quiet,
    forget: async (keys) => void forgotten.push(...keys),
  })
  made.push(f)
  return f
}

let n = 0
const webhook = () => ({
  id: `gw_${++n}`,
  route: '/github',
  url: `${ORIGIN}/hook`,
  headers: { 'content-type': 'application/json', 'x-zerohook-gateway-verified': 'github' },
  body: Buffer.from('{"exact":"bytes"}'),
  replayKeys: [`github:id:${n}`],
})

async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('gateway forwarder', () => {
  it("answers with the receiver's status and body when it delivers at once", async () => {
    let seen: { body?: unknown; headers?: unknown } = {}
    agent
      .get(ORIGIN)
      .intercept({ path: '/hook', method: 'POST' })
      .reply((request) => {
        seen = { body: request.body, headers: request.headers }
        return {
          statusCode: 200,
          data: { ok: true },
          responseOptions: { headers: { 'content-type': 'application/json' } },
        }
      })
    const f = forwarder()
    f.start()
    const w = webhook()
    const outcome = await f.accept(w)
    expect(outcome.kind).toBe('answered')
    if (outcome.kind === 'answered') {
      expect(outcome.answer.status).toBe(200)
      expect(JSON.parse(outcome.answer.body.toString())).toEqual({ ok: true })
    }
    expect(Buffer.from(seen.body as Uint8Array).toString()).toBe('{"exact":"bytes"}')
    expect(seen.headers).toMatchObject({ 'x-zerohook-gateway-verified': 'github' })
    expect(queue.get(w.id)?.state).toBe('delivered')
    await f.close()
  })

  it('queues on a 5xx (answer 202) and delivers on a later attempt', async () => {
    const pool = agent.get(ORIGIN)
    pool.intercept({ path: '/hook', method: 'POST' }).reply(503, 'busy')
    pool.intercept({ path: '/hook', method: 'POST' }).reply(204, '')
    const f = forwarder()
    f.start()
    const w = webhook()
    expect(await f.accept(w)).toEqual({ kind: 'queued', id: w.id })
    await until(() => queue.get(w.id)?.state === 'delivered')
    expect(queue.get(w.id)?.attempts).toBe(2)
    await f.close()
  })

  it('queues when no connection can be made, and keeps the webhook once attempts run out', async () => {
    agent.get(ORIGIN).intercept({ path: '/hook', method: 'POST' }).replyWithError(new Error('down'))
    const f = forwarder([0], 1)
    f.start()
    const w = webhook()
    expect((await f.accept(w)).kind).toBe('queued')
    const kept = queue.get(w.id)
    expect(kept?.state).toBe('failed')
    expect(kept?.body.toString()).toBe('{"exact":"bytes"}')
    await f.close()
  })

  it("relays a receiver's 4xx as its final word and forgets the replay keys", async () => {
    agent.get(ORIGIN).intercept({ path: '/hook', method: 'POST' }).reply(400, 'bad payload')
    const f = forwarder()
    f.start()
    const w = webhook()
    const outcome = await f.accept(w)
    expect(outcome.kind === 'answered' && outcome.answer.status).toBe(400)
    expect(queue.get(w.id)?.state).toBe('rejected')
    expect(forgotten).toEqual(w.replayKeys)
    await f.close()
  })

  it('resumes a webhook a crash left in flight, on the next start', async () => {
    const w = webhook()
    queue.add(w, Date.now()) // committed, then the process died before the attempt finished
    agent.get(ORIGIN).intercept({ path: '/hook', method: 'POST' }).reply(200, 'ok')
    const f = forwarder()
    expect(f.start()).toBe(1)
    await until(() => queue.get(w.id)?.state === 'delivered')
    await f.close()
  })

  it('refuses a webhook with ZH_OUTBOX_FULL at maxPending, storing nothing, also after a restart', async () => {
    const pool = agent.get(ORIGIN)
    pool.intercept({ path: '/hook', method: 'POST' }).reply(503, 'busy').times(2)
    const first = forwarder([0, 60_000], 5, { maxPending: 2 })
    first.start()
    const queued = [webhook(), webhook()]
    for (const w of queued) expect((await first.accept(w)).kind).toBe('queued')
    const over = webhook()
    expect(await codeOf(first.accept(over))).toBe('ZH_OUTBOX_FULL')
    expect(queue.get(over.id)).toBeUndefined()
    await first.close()

    // A new process on the same file: the count comes from the database, not from memory.
    queue.close()
    queue = openForwardQueue(join(dir, 'outbox.db'))
    expect(queue.pendingCount()).toBe(2)
    pool.intercept({ path: '/hook', method: 'POST' }).reply(204, '').persist()
    const second = forwarder([0, 60_000], 5, { maxPending: 2 })
    expect(second.start()).toBe(2)
    expect(await codeOf(second.accept(webhook()))).toBe('ZH_OUTBOX_FULL')
    await until(() => queued.every((w) => queue.get(w.id)?.state === 'delivered'))
    const later = await second.accept(webhook())
    expect(later.kind === 'answered' && later.answer.status).toBe(204)
    expect(queue.pendingCount()).toBe(0)
  })

  it('purges delivered webhooks past retentionS on a schedule that follows it; keeps the rest', () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const f = forwarder([0, 20], 5, { retentionS: 3600 }) // purged every 15 minutes
    f.start()
    const now = Date.now()
    const settled = (state: 'delivered' | 'failed' | 'rejected' | 'pending', at: number) => {
      const w = webhook()
      queue.add(w, at)
      const nextAt = state === 'pending' ? now + 24 * 3600_000 : null
      queue.finish(w.id, { state, status: 200, error: null, nextAt }, at)
      return w.id
    }
    const old = now - 2 * 3600_000
    const gone = settled('delivered', old)
    const recent = settled('delivered', now - 1800_000)
    const kept = [settled('failed', old), settled('rejected', old), settled('pending', old)]
    vi.advanceTimersByTime(15 * 60_000 - 1)
    expect(queue.get(gone)).toBeDefined()
    vi.advanceTimersByTime(1)
    expect(queue.get(gone)).toBeUndefined()
    for (const id of [recent, ...kept]) expect(queue.get(id)).toBeDefined()
  })
})
