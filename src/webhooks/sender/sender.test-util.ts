import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createMemoryOutbox } from './outbox-memory.js'
import { createSqliteOutbox } from './outbox-sqlite.js'
import { createSender, type Sender, type SenderLog, type SenderOptions } from './sender.js'
import type { OutboxStore, SenderEvents, TransportRequest, TransportResponse } from './types.js'

export const T0 = Date.UTC(2025, 0, 1)
export const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
export const A = 'https://a.example/hook'
export const B = 'https://b.example/hook?token=s3cr3t-query'

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
}

/** A frozen clock: time moves only by `advance` (firing timers) or `tick` (not firing). */
export function manualClock(start = T0) {
  let now = start
  let timers: { at: number; fn: () => void }[] = []
  return {
    now: () => now,
    setTimer(fn: () => void, ms: number) {
      const timer = { at: now + Math.max(0, ms), fn }
      timers.push(timer)
      return () => {
        timers = timers.filter((t) => t !== timer)
      }
    },
    tick(ms: number) {
      now += ms
    },
    async advance(ms: number) {
      const target = now + ms
      for (;;) {
        await settle()
        const due = timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at)[0]
        if (!due) break
        timers = timers.filter((t) => t !== due)
        now = Math.max(now, due.at)
        due.fn()
      }
      now = target
      await settle()
    },
    settle,
  }
}

/** An answer, an error to throw, or 'hang' (never answers; aborted by the signal). */
export type Script = TransportResponse | Error | 'hang'

/** A transport that answers by script and records each request with the time it came. */
export function fakeTransport(script: (req: TransportRequest, n: number) => Script) {
  const calls: { req: TransportRequest; at: number }[] = []
  let clockNow = () => Date.now()
  const transport = (req: TransportRequest): Promise<TransportResponse> => {
    calls.push({ req, at: clockNow() })
    const answer = script(req, calls.length)
    if (answer === 'hang') {
      return new Promise((_, reject) =>
        req.signal?.addEventListener('abort', () => reject(new Error('aborted'))),
      )
    }
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer)
  }
  return { transport, calls, useClock: (now: () => number) => void (clockNow = now) }
}

export const status = (code: number, headers: Record<string, string> = {}): TransportResponse => ({
  status: code,
  headers,
})

/** Every event a sender emitted, in order. */
export function recordEvents(sender: Sender) {
  const seen: { event: keyof SenderEvents; payload: SenderEvents[keyof SenderEvents] }[] = []
  for (const event of ['delivered', 'attempt-failed', 'failed', 'endpoint-disabled'] as const) {
    sender.on(event, (payload) => seen.push({ event, payload }))
  }
  return seen
}

/** A logger that keeps every line. */
export function memoryLog(): SenderLog & { lines: { level: string; obj: object; msg: string }[] } {
  const lines: { level: string; obj: object; msg: string }[] = []
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, obj, msg })
  return { lines, info: at('info'), warn: at('warn'), error: at('error') }
}

/** The two outboxes, so each sender test runs on both. */
export const outboxes: Record<
  string,
  () => Promise<{ store: OutboxStore; path?: string; done: () => Promise<void> }>
> = {
  memory: () => Promise.resolve({ store: createMemoryOutbox(), done: () => Promise.resolve() }),
  sqlite: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zh-outbox-'))
    const path = join(dir, 'outbox.db')
    const store = createSqliteOutbox({ database: path })
    return {
      store,
      path,
      done: async () => {
        await store.close()
        await rm(dir, { recursive: true, force: true })
      },
    }
  },
}

/** A sender on a manual clock and a fake transport. */
export function testSender(
  store: OutboxStore,
  script: (req: TransportRequest, n: number) => Script,
  more: Partial<SenderOptions> = {},
) {
  const clock = manualClock()
  const fake = fakeTransport(script)
  fake.useClock(clock.now)
  const log = memoryLog()
  const sender = createSender({
    store,
    signing: { secret: SECRET },
    transport: fake.transport,
    schedule: [0, 1000, 5000, 10000],
    jitter: 0,
    clock,
    log,
    ...more,
  })
  return { sender, clock, calls: fake.calls, log, events: recordEvents(sender) }
}
