import { ZhError } from '../../errors.js'
import {
  attemptDelivery,
  closedDuring,
  type AttemptContext,
  type AttemptResult,
} from './attempt.js'
import type { OutboxMessage, OutboxStore, SenderEvents, SenderLog } from './types.js'

/** What the worker needs. */
export interface WorkerOptions {
  readonly store: OutboxStore
  readonly context: AttemptContext
  readonly concurrency: number
  readonly emit: <E extends keyof SenderEvents>(event: E, payload: SenderEvents[E]) => void
  readonly log: SenderLog | undefined
}

/** The delivery loop of a sender. */
export interface Worker {
  /** Resolves once messages a crash left in flight are due again. */
  readonly ready: Promise<void>
  readonly closed: boolean
  /** Looks for due messages now. */
  kick(): void
  drain(): Promise<void>
  close(): Promise<void>
}

/** The longest the worker sleeps without looking at the outbox again. */
export const RECHECK_MS = 1000

/**
 * Claims due messages up to the concurrency limit, attempts them, records each outcome, and
 * sleeps until the next message is due. Waking is driven by `kick()` (a send, a finished
 * attempt) and one timer at the earliest due time, or within {@link RECHECK_MS} at the latest,
 * so a message another process made due (a replay from the console) is seen.
 */
export function createWorker(options: WorkerOptions): Worker {
  const { store, context, concurrency, emit, log } = options
  const { clock } = context
  let closed = false
  let active = 0
  let pumping: Promise<void> | undefined
  let again = false
  let cancelTimer: (() => void) | undefined
  const aborts = new Set<AbortController>()
  const running = new Set<Promise<void>>()
  let waiters: (() => void)[] = []
  const notify = (): void => {
    const woken = waiters
    waiters = []
    for (const wake of woken) wake()
  }

  const record = async (message: OutboxMessage, result: AttemptResult): Promise<void> => {
    const { record: r, outcome } = result
    const { state, disabled } = await store.finish(r, outcome)
    const endpoint = message.endpoint
    const base = {
      id: message.id,
      endpoint,
      attempt: r.attempt,
      status: r.status,
      latencyMs: r.latencyMs,
    }
    const where = { ...base, endpoint: logEndpoint(endpoint), error: r.error }
    if (state === 'delivered') {
      log?.info(where, 'webhook delivered')
      emit('delivered', { ...base, status: r.status!, duplicate: result.duplicate })
      return
    }
    const nextAt = state === 'pending' && outcome.kind === 'retry' ? outcome.nextAt : null
    log?.warn({ ...where, nextAt }, 'webhook attempt failed')
    emit('attempt-failed', { ...base, error: r.error, nextAt })
    if (state === 'failed') {
      log?.error(where, 'webhook failed: no attempts left')
      emit('failed', {
        id: message.id,
        endpoint,
        attempts: r.attempt,
        status: r.status,
        error: r.error,
      })
    }
    if (outcome.kind === 'disable') {
      log?.warn(
        { endpoint: where.endpoint, stopped: disabled.length + 1 },
        'endpoint disabled (410)',
      )
      emit('endpoint-disabled', { endpoint, ids: [message.id, ...disabled] })
    }
  }

  const start = (message: OutboxMessage): void => {
    // Claimed while closing: left in flight, so the next start retries it.
    if (closed) return
    const abort = new AbortController()
    aborts.add(abort)
    active++
    const work = attemptDelivery(context, message, abort)
      .then((result) => (closedDuring(result) ? undefined : record(message, result)))
      .catch((err: unknown) => log?.error({ err, id: message.id }, 'webhook attempt not recorded'))
      .finally(() => {
        aborts.delete(abort)
        running.delete(work)
        active--
        kick()
        notify()
      })
    running.add(work)
  }

  const arm = async (): Promise<void> => {
    cancelTimer?.()
    cancelTimer = undefined
    // At the limit, a finishing attempt kicks; a timer now would only spin.
    if (closed || active >= concurrency) return
    const next = await store.nextDueAt()
    if (closed) return
    // Another process on the same outbox (the console replaying a message) makes messages due
    // without kicking us: look again within RECHECK_MS, one indexed query each time.
    const wait = next === undefined ? RECHECK_MS : Math.max(0, next - clock.now())
    cancelTimer = clock.setTimer(kick, Math.min(wait, RECHECK_MS))
  }

  const pump = async (): Promise<void> => {
    do {
      again = false
      while (!closed && active < concurrency) {
        const limit = concurrency - active
        const due = await store.claimDue(clock.now(), limit)
        for (const message of due) start(message)
        if (due.length < limit) break
      }
    } while (again && !closed)
    await arm()
  }

  function kick(): void {
    if (closed) return
    if (pumping) {
      again = true
      return
    }
    pumping = pump()
      .catch((err: unknown) => {
        log?.error({ err }, 'outbox unavailable; retrying in 1 s')
        cancelTimer = clock.setTimer(kick, 1000)
      })
      .finally(() => {
        pumping = undefined
        if (again) kick()
        notify()
      })
  }

  const ready = store.recover(clock.now()).then(
    (recovered) => {
      if (recovered > 0) log?.info({ recovered }, 'resuming messages left in flight')
      kick()
    },
    (err: unknown) => log?.error({ err }, 'outbox could not be recovered'),
  )

  return {
    ready,
    get closed() {
      return closed
    },
    kick,
    async drain() {
      await ready
      for (;;) {
        const changed = new Promise<void>((resolve) => waiters.push(resolve))
        if (closed) return
        if (active === 0 && !pumping) {
          const next = await store.nextDueAt()
          if (active === 0 && !pumping && (next === undefined || next > clock.now())) return
          kick()
        }
        await changed
      }
    },
    async close() {
      if (closed) return
      await ready
      closed = true
      cancelTimer?.()
      for (const abort of aborts) abort.abort(new ZhError('ZH_SENDER_CLOSED'))
      await pumping
      await Promise.all(running)
      notify()
    },
  }
}

/** The endpoint as logged: origin and path, never a query or credentials that may hold a token. */
export function logEndpoint(endpoint: string): string {
  const url = new URL(endpoint)
  return `${url.origin}${url.pathname}`
}
