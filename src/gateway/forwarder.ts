import { request, type Dispatcher } from 'undici'
import { isZhError } from '../errors.js'
import { purgeIntervalMs } from '../webhooks/sender/retention.js'
import { withJitter } from '../webhooks/sender/schedule.js'
import { FORWARD_DEFAULTS, type ForwardConfig } from './config.js'
import type { AttemptResult, ForwardQueue, QueuedWebhook } from './queue.js'

/** The receiver's answer to a forwarded webhook, relayed to the provider on the quick path. */
export interface ReceiverAnswer {
  readonly status: number
  readonly contentType: string | undefined
  readonly body: Buffer
}

/** What the provider is told: the receiver's own answer, or "accepted, will deliver" (202). */
export type ForwardOutcome =
  | { readonly kind: 'answered'; readonly answer: ReceiverAnswer }
  | { readonly kind: 'queued'; readonly id: string }

/** The part of a pino logger the forwarder uses. */
export interface ForwardLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** Options of {@link createForwarder}. */
export interface ForwarderOptions {
  readonly queue: ForwardQueue
  /** The overlay's undici dispatcher (`zh.dispatcher()`): the URL host is the service. */
  readonly dispatcher: Dispatcher
  readonly config: ForwardConfig
  readonly log: ForwardLog
  /** Called with the replay keys of a webhook the receiver rejected, so a redelivery passes. */
  readonly forget: (keys: readonly string[]) => Promise<void>
  /** Attempts under way at once from the retry worker; default 8. */
  readonly concurrency?: number
}

const MAX_ANSWER_BYTES = 64 * 1024
// Read per request by undici's redirect interceptor: a redirect is never followed, whatever the
// dispatcher would do (not in the request options' type, hence the spread).
const NO_REDIRECTS = { maxRedirections: 0 }
// Longest nap of the worker between checks; a due time further out is re-read after it.
const MAX_NAP_MS = 60_000

/**
 * Forwards verified webhooks over the overlay: the request handler commits each one to the
 * queue and makes the first attempt itself (answering with the receiver's status when it comes
 * in time); a worker retries the rest on the schedule with jitter, and on start resumes what a
 * stop or crash left. 2xx is delivered; 3xx, 408, 429, 5xx and no answer are retried; any other
 * 4xx is the receiver's final word (`rejected`). Delivered webhooks are purged past
 * `retentionS`; at `maxPending` unsettled webhooks a new one is refused (ZH_OUTBOX_FULL), never
 * one already queued dropped.
 *
 * @example
 * ```ts
 * const forwarder = createForwarder({ queue, dispatcher: zh.dispatcher(), config: config.forward, log, forget })
 * forwarder.start()
 * const outcome = await forwarder.accept({ id, route: '/github', url, headers, body, replayKeys })
 * ```
 */
export function createForwarder(options: ForwarderOptions) {
  const { queue, dispatcher, config, log } = options
  const concurrency = options.concurrency ?? 8
  const retentionMs = (config.retentionS ?? FORWARD_DEFAULTS.retentionS) * 1000
  const maxPending = config.maxPending ?? FORWARD_DEFAULTS.maxPending
  const stopping = new AbortController()
  const running = new Set<Promise<unknown>>()
  let timer: NodeJS.Timeout | undefined
  let purging: NodeJS.Timeout | undefined
  let closed = false

  const track = <T>(work: Promise<T>): Promise<T> => {
    running.add(work)
    void work.finally(() => running.delete(work)).catch(() => undefined)
    return work
  }

  async function attempt(w: QueuedWebhook, timeoutMs: number): Promise<ReceiverAnswer | string> {
    const signal = AbortSignal.any([stopping.signal, AbortSignal.timeout(timeoutMs)])
    try {
      const res = await request(w.url, {
        method: 'POST',
        headers: w.headers,
        body: w.body,
        dispatcher,
        signal,
        ...NO_REDIRECTS,
      })
      const chunks: Buffer[] = []
      let size = 0
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        chunks.push(chunk)
        size += chunk.length
        if (size > MAX_ANSWER_BYTES) break // the rest is not needed; leaving the loop drops it
      }
      const type = res.headers['content-type']
      const body = Buffer.concat(chunks).subarray(0, MAX_ANSWER_BYTES)
      return {
        status: res.statusCode,
        contentType: typeof type === 'string' ? type : undefined,
        body,
      }
    } catch (err) {
      // The recorded error: the overlay's ZH_* code (no terminator, no grant...) when there is
      // one, else ZH_GATEWAY_DELIVERY_FAILED with what happened.
      const failed = (what: string) => `ZH_GATEWAY_DELIVERY_FAILED (${what})`
      if (signal.aborted) return failed(stopping.signal.aborted ? 'gateway stopping' : 'timeout')
      const code = isZhError(err) ? err.code : (err as { cause?: { code?: unknown } }).cause?.code
      if (typeof code === 'string' && code.startsWith('ZH_')) return code
      return failed(
        typeof code === 'string' ? code : ((err as { code?: string }).code ?? 'no answer'),
      )
    }
  }

  function decide(w: QueuedWebhook, answer: ReceiverAnswer | string, now: number): AttemptResult {
    const status = typeof answer === 'string' ? null : answer.status
    const redirect = status !== null && status >= 300 && status < 400
    const error =
      typeof answer === 'string'
        ? answer
        : redirect
          ? 'ZH_GATEWAY_DELIVERY_FAILED (redirect not followed)'
          : null
    if (status !== null && status >= 200 && status < 300) {
      return { state: 'delivered', status, error, nextAt: null }
    }
    const retryable =
      status === null || status < 400 || status >= 500 || [408, 429].includes(status)
    if (!retryable) return { state: 'rejected', status, error, nextAt: null }
    // A replay starts the schedule over: count the attempts made since it.
    const attempts = w.attempts - w.retryBase + 1
    if (attempts >= config.maxAttempts) return { state: 'failed', status, error, nextAt: null }
    const delay = config.delaysMs[Math.min(attempts, config.delaysMs.length - 1)]!
    return { state: 'pending', status, error, nextAt: now + withJitter(delay, 0.2, Math.random) }
  }

  async function run(
    w: QueuedWebhook,
    timeoutMs: number,
  ): Promise<{ answer: ReceiverAnswer | string; state: AttemptResult['state'] }> {
    const started = Date.now()
    const answer = await attempt(w, timeoutMs)
    const result = decide(w, answer, Date.now())
    // Cut by a stop: left in flight, resumed on the next start.
    if (closed && result.state === 'pending') return { answer, state: result.state }
    try {
      queue.finish(w.id, result, Date.now(), started)
    } catch (err) {
      // The row stays in flight and is resumed on the next start; the receiver dedups by id.
      log.error({ id: w.id, err: (err as Error).message }, 'gateway queue write failed')
    }
    const fields = {
      id: w.id,
      route: w.route,
      attempt: w.attempts + 1,
      status: result.status,
      error: result.error,
      state: result.state,
      ms: Date.now() - started,
    }
    if (result.state === 'delivered') log.info(fields, 'gateway delivered')
    else if (result.state === 'pending')
      log.warn({ ...fields, nextAt: result.nextAt }, 'gateway retry')
    else log.error(fields, `gateway ${result.state}`)
    if (result.state === 'rejected') await options.forget(w.replayKeys).catch(() => undefined)
    schedule()
    return { answer, state: result.state }
  }

  function pump(): void {
    timer = undefined
    if (closed) return
    const free = concurrency - running.size
    try {
      if (free > 0) {
        for (const w of queue.claimDue(Date.now(), free)) void track(run(w, config.timeoutMs))
      }
    } catch (err) {
      // A database hiccup must not kill the process: look again after a nap.
      log.error({ err: (err as Error).message }, 'gateway queue read failed')
      return nap(MAX_NAP_MS / 12)
    }
    schedule()
  }

  function schedule(): void {
    if (closed) return
    let next: number | undefined
    try {
      next = queue.nextDueAt()
    } catch (err) {
      log.error({ err: (err as Error).message }, 'gateway queue read failed')
      return nap(MAX_NAP_MS / 12)
    }
    if (next !== undefined) nap(Math.min(Math.max(0, next - Date.now()), MAX_NAP_MS))
  }

  function nap(ms: number): void {
    if (timer) clearTimeout(timer)
    timer = setTimeout(pump, ms)
  }

  function purge(): void {
    try {
      const purged = queue.purgeDelivered(Date.now() - retentionMs)
      if (purged > 0) log.info({ purged, retentionS: retentionMs / 1000 }, 'gateway queue purged')
    } catch (err) {
      // Rows past their retention only wait for the next purge; nothing accepted is at stake.
      log.warn({ err: (err as Error).message }, 'gateway queue purge failed')
    }
  }

  return {
    /** Resumes webhooks a previous run left pending or in flight, and starts the worker. */
    start(): number {
      purge()
      purging = setInterval(purge, purgeIntervalMs(retentionMs))
      purging.unref()
      const resumed = queue.resume(Date.now())
      if (resumed > 0) log.info({ resumed }, 'gateway resuming queued webhooks')
      schedule()
      return resumed
    },
    /**
     * Commits a verified webhook (throws if the queue cannot, ZH_OUTBOX_FULL when it holds
     * `maxPending`) and makes its first attempt, waiting at most the configured timeout for the
     * receiver's answer.
     */
    async accept(
      w: Pick<QueuedWebhook, 'id' | 'route' | 'url' | 'headers' | 'body' | 'replayKeys'>,
    ): Promise<ForwardOutcome> {
      const queued = queue.add(w, Date.now(), maxPending)
      const { answer, state } = await track(run(queued, config.timeoutMs))
      const final = state === 'delivered' || state === 'rejected'
      return final && typeof answer !== 'string'
        ? { kind: 'answered', answer }
        : { kind: 'queued', id: w.id }
    },
    /**
     * Puts a failed or rejected webhook back in line and looks at the queue now; false when
     * no webhook with that id is failed or rejected.
     */
    replay(id: string): boolean {
      const replayed = queue.replay(id, Date.now())
      if (replayed) {
        log.info({ id }, 'gateway replay')
        nap(0)
      }
      return replayed
    },
    /** Stops: attempts under way are cut and stay queued, to be resumed on the next start. */
    async close(): Promise<void> {
      closed = true
      if (timer) clearTimeout(timer)
      clearInterval(purging)
      stopping.abort()
      await Promise.allSettled([...running])
    },
  }
}

/** A forwarder (see {@link createForwarder}). */
export type Forwarder = ReturnType<typeof createForwarder>
