import { randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { ZhError } from '../../errors.js'
import { checkId } from '../schemes/shared.js'
import type { AttemptContext } from './attempt.js'
import { systemClock } from './clock.js'
import { createSqliteOutbox } from './outbox-sqlite.js'
import { STANDARD_SCHEDULE, checkSchedule } from './schedule.js'
import { createHttpTransport } from './transport.js'
import type {
  OutboxStore,
  SenderClock,
  SenderEvents,
  SenderLog,
  SigningConfig,
  Transport,
} from './types.js'
import { scheduleRetention } from './retention.js'
import { createWorker } from './worker.js'

export type { SenderLog }

/** Options of {@link createSender}. */
export interface SenderOptions {
  /** The outbox, or the path of a SQLite file to open as one (closed with the sender). */
  readonly store: OutboxStore | string
  /** How to sign: one config, or one per endpoint. */
  readonly signing: SigningConfig | ((endpoint: string) => SigningConfig)
  /** Default: undici with the SSRF guard (HTTPS, public addresses only). */
  readonly transport?: Transport
  /** Delay before each attempt, in ms; default the Standard Webhooks schedule. */
  readonly schedule?: readonly number[]
  /** Spread of each delay, as a fraction either way; default 0.2. */
  readonly jitter?: number
  /** Longest wait a `Retry-After` can ask for, in ms; default 10 h. */
  readonly maxRetryAfterMs?: number
  /** Per attempt, in ms; default 15 s. */
  readonly timeoutMs?: number
  /** Attempts under way at once; default 16. */
  readonly concurrency?: number
  /** Largest serialized message, in bytes; default 1 MiB. */
  readonly maxBodyBytes?: number
  /** Where each attempt is logged (a pino logger fits). Never the body or the secret. */
  readonly log?: SenderLog
  readonly clock?: SenderClock
  /**
   * How long delivered, failed and disabled messages (and their attempt logs) stay in the
   * outbox, in ms; default 7 days; `false` keeps them forever. Purged hourly, or every quarter
   * of a retention shorter than 4 h (at least every second).
   */
  readonly retainMs?: number | false
  /**
   * Most messages not yet settled (pending or in flight) the outbox may hold; default 100,000.
   * At the cap `send()` rejects with ZH_OUTBOX_FULL: nothing accepted is ever dropped for room.
   */
  readonly maxPending?: number
  /** In [0, 1), for the jitter; injectable for tests. */
  readonly random?: () => number
}

/** A message to send: JSON `{ type, timestamp, data }` is what the endpoint receives. */
export interface OutgoingMessage {
  readonly endpoint: string
  readonly type: string
  readonly data: unknown
  /** Default a fresh `msg_...`; sending an id already in the outbox queues nothing. */
  readonly id?: string
}

/** A durable webhook sender. */
export interface Sender {
  /**
   * Writes the message to the outbox (before any attempt) and resolves its id. Rejects with
   * ZH_OUTBOX_FULL, storing nothing, when `maxPending` messages are still to be delivered.
   */
  send(message: OutgoingMessage): Promise<string>
  on<E extends keyof SenderEvents>(event: E, listener: (event: SenderEvents[E]) => void): Sender
  off<E extends keyof SenderEvents>(event: E, listener: (event: SenderEvents[E]) => void): Sender
  /** Resolves when no attempt is under way and no message is due now. */
  drain(): Promise<void>
  /** Lets messages go to an endpoint that answered 410 again. */
  enableEndpoint(endpoint: string): Promise<void>
  /** Stops: attempts under way are cut and stay in flight, to be retried on the next start. */
  close(): Promise<void>
  readonly store: OutboxStore
}

/**
 * A durable webhook sender: `send()` commits each message to the outbox before anything goes
 * out; a worker delivers due messages with bounded concurrency, signs each attempt afresh,
 * retries on the schedule with jitter, honours `Retry-After`, disables an endpoint that answers
 * 410, and logs every attempt. After a crash, a new sender on the same outbox resumes.
 *
 * @example
 * ```ts
 * const sender = createSender({ store: '/var/lib/app/outbox.db', signing: { secret: 'whsec_...' } })
 * sender.on('failed', ({ id, error }) => alert(id, error))
 * const id = await sender.send({ endpoint: 'https://hooks.example.com/in', type: 'invoice.paid', data: { invoice: 42 } })
 * ```
 */
export function createSender(options: SenderOptions): Sender {
  const store =
    typeof options.store === 'string'
      ? createSqliteOutbox({ database: options.store })
      : options.store
  const transport = options.transport ?? createHttpTransport()
  const clock = options.clock ?? systemClock
  const maxBodyBytes = positive(options.maxBodyBytes ?? 1024 * 1024, 'maxBodyBytes')
  const jitter = options.jitter ?? 0.2
  if (!(jitter >= 0 && jitter < 1))
    throw new ZhError('ZH_SENDER_OPTIONS_INVALID', 'jitter is in [0, 1)')
  const signing = options.signing
  const context: AttemptContext = {
    transport,
    signingFor: typeof signing === 'function' ? signing : () => signing,
    clock,
    timeoutMs: positive(options.timeoutMs ?? 15_000, 'timeoutMs'),
    schedule: checkSchedule(options.schedule ?? STANDARD_SCHEDULE),
    jitter,
    random: options.random ?? Math.random,
    maxRetryAfterMs: positive(options.maxRetryAfterMs ?? 10 * 3600_000, 'maxRetryAfterMs'),
    userAgent: 'zerohook-webhooks',
  }
  const retainMs =
    options.retainMs === false ? false : positive(options.retainMs ?? 7 * 86_400_000, 'retainMs')
  const maxPending = positive(options.maxPending ?? 100_000, 'maxPending')
  const events = new EventEmitter()
  const worker = createWorker({
    store,
    context,
    concurrency: positive(options.concurrency ?? 16, 'concurrency'),
    emit: (event, payload) => void events.emit(event, payload),
    log: options.log,
  })

  const stopRetention =
    retainMs === false ? () => undefined : scheduleRetention(store, retainMs, clock, options.log)
  // The send between its count and its insert: two sends that both saw room must not both take it.
  let admitting: Promise<void> | undefined

  const sender: Sender = {
    store,
    async send({ endpoint, type, data, id = `msg_${randomBytes(18).toString('base64url')}` }) {
      if (worker.closed) throw new ZhError('ZH_SENDER_CLOSED')
      checkEndpoint(endpoint)
      if (typeof type !== 'string' || type === '')
        throw new ZhError('ZH_SENDER_MESSAGE_INVALID', 'type')
      try {
        checkId(id, 'id')
      } catch {
        throw new ZhError('ZH_SENDER_MESSAGE_INVALID', 'id')
      }
      const now = clock.now()
      const json = JSON.stringify({ type, timestamp: new Date(now).toISOString(), data })
      const body = Buffer.from(json ?? '', 'utf8')
      if (body.length > maxBodyBytes)
        throw new ZhError('ZH_SENDER_BODY_TOO_LARGE', `${body.length} bytes`)
      await worker.ready
      while (admitting) await admitting
      let admitted!: () => void
      admitting = new Promise((resolve) => (admitted = resolve))
      try {
        if (await store.isDisabled(endpoint)) throw new ZhError('ZH_SENDER_ENDPOINT_DISABLED')
        if ((await store.pendingCount()) < maxPending) {
          await store.enqueue({ id, endpoint, type, body, now, nextAt: now + context.schedule[0]! })
        } else if (!(await store.get(id))) {
          // Refused, not evicted: what the outbox accepted stays; the caller sends this later.
          throw new ZhError('ZH_OUTBOX_FULL', `${maxPending} messages pending`)
        }
      } finally {
        admitting = undefined
        admitted()
      }
      worker.kick()
      return id
    },
    on(event, listener) {
      events.on(event, listener)
      return sender
    },
    off(event, listener) {
      events.off(event, listener)
      return sender
    },
    drain: () => worker.drain(),
    enableEndpoint: (endpoint) => store.enableEndpoint(endpoint),
    async close() {
      stopRetention()
      await worker.close()
      if (!options.transport) await (transport as ReturnType<typeof createHttpTransport>).close()
      if (typeof options.store === 'string') await store.close()
    },
  }
  return sender
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new ZhError('ZH_SENDER_OPTIONS_INVALID', `${name} must be a positive whole number`)
  }
  return value
}

function checkEndpoint(endpoint: string): void {
  let url: URL
  try {
    url = new URL(endpoint)
  } catch {
    throw new ZhError('ZH_SENDER_ENDPOINT_INVALID', 'not a URL')
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.username || url.password) {
    throw new ZhError('ZH_SENDER_ENDPOINT_INVALID', url.protocol)
  }
}
