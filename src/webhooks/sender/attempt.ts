import { ZhError, isZhError } from '../../errors.js'
import { signWebhook } from '../sign.js'
import { retryAfterMs, withJitter } from './schedule.js'
import type {
  AttemptOutcome,
  AttemptRecord,
  OutboxMessage,
  SenderClock,
  SigningConfig,
  Transport,
  TransportResponse,
} from './types.js'

/** What one attempt needs from its sender. */
export interface AttemptContext {
  readonly transport: Transport
  readonly signingFor: (endpoint: string) => SigningConfig
  readonly clock: SenderClock
  readonly timeoutMs: number
  readonly schedule: readonly number[]
  readonly jitter: number
  readonly random: () => number
  readonly maxRetryAfterMs: number
  readonly userAgent: string
}

/** An attempt made: its log record, what it decided, and whether the receiver had it already. */
export interface AttemptResult {
  readonly record: AttemptRecord
  readonly outcome: AttemptOutcome
  readonly duplicate: boolean
}

/**
 * Makes one attempt: signs the stored body afresh (same id, new timestamp), POSTs it with a
 * timeout, and decides: 2xx delivered; 409 with `zerohook-code: ZH_WEBHOOK_REPLAYED` delivered
 * (the receiver already has it); 410 disables the endpoint; anything else, 3xx included (never
 * followed: recorded as ZH_SENDER_REDIRECT_NOT_FOLLOWED), is retried on the schedule (no sooner
 * than a `Retry-After`) until the schedule runs out.
 */
export async function attemptDelivery(
  ctx: AttemptContext,
  message: OutboxMessage,
  abort: AbortController,
): Promise<AttemptResult> {
  const attempt = message.attempts + 1
  const at = ctx.clock.now()
  let response: TransportResponse | undefined
  let error: string | null = null
  const stopTimer = ctx.clock.setTimer(
    () => abort.abort(new ZhError('ZH_SENDER_TIMEOUT', `${ctx.timeoutMs} ms`)),
    ctx.timeoutMs,
  )
  try {
    const signing = ctx.signingFor(message.endpoint)
    const headers = signWebhook({
      scheme: signing.scheme ?? 'standard',
      secret: signing.secret,
      key: signing.key,
      id: message.id,
      timestamp: Math.floor(at / 1000),
      body: message.body,
      url: message.endpoint,
    })
    const request = { url: message.endpoint, body: message.body, signal: abort.signal }
    response = await untilAborted(
      ctx.transport({
        ...request,
        headers: { 'content-type': 'application/json', 'user-agent': ctx.userAgent, ...headers },
      }),
      abort.signal,
    )
  } catch (err) {
    error = describeError(abort.signal.aborted ? abort.signal.reason : err)
  } finally {
    stopTimer()
  }
  const latencyMs = Math.max(0, ctx.clock.now() - at)
  const status = response?.status ?? null
  // Never followed (the transport does not): recorded with a code, so the log says why.
  if (status !== null && status >= 300 && status < 400) error = 'ZH_SENDER_REDIRECT_NOT_FOLLOWED'
  const record: AttemptRecord = { messageId: message.id, attempt, at, status, latencyMs, error }
  const duplicate = status === 409 && header(response, 'zerohook-code') === 'ZH_WEBHOOK_REPLAYED'
  const done = at + latencyMs
  let outcome: AttemptOutcome
  if ((status !== null && status >= 200 && status < 300) || duplicate)
    outcome = { kind: 'delivered' }
  else if (status === 410) outcome = { kind: 'disable' }
  else if (attempt >= ctx.schedule.length) outcome = { kind: 'failed' }
  else {
    const delay = withJitter(ctx.schedule[attempt]!, ctx.jitter, ctx.random)
    const asked = retryAfterMs(header(response, 'retry-after'), done, ctx.maxRetryAfterMs) ?? 0
    outcome = { kind: 'retry', nextAt: done + Math.max(delay, asked) }
  }
  return { record, outcome, duplicate }
}

/** True when an attempt was cut by the sender closing, so it must not be recorded. */
export const closedDuring = (result: AttemptResult): boolean =>
  result.record.error?.startsWith('ZH_SENDER_CLOSED') ?? false

function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error)
    if (signal.aborted) return onAbort()
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

function header(response: TransportResponse | undefined, name: string): string | undefined {
  if (!response) return undefined
  for (const [key, value] of Object.entries(response.headers)) {
    if (key.toLowerCase() !== name) continue
    return typeof value === 'string' ? value : value?.[0]
  }
  return undefined
}

// A code, plus the system's (ECONNREFUSED, ENOTFOUND...) when there is one: never a message
// text, which could carry a URL with a token in it.
function describeError(err: unknown): string {
  const code = isZhError(err) ? err.code : 'ZH_SENDER_CONNECT_FAILED'
  let cause: unknown = err
  for (let depth = 0; depth < 4 && cause && typeof cause === 'object'; depth++) {
    const sys = (cause as { code?: unknown }).code
    if (typeof sys === 'string' && !sys.startsWith('ZH_') && /^[A-Z0-9_]{2,40}$/.test(sys)) {
      return `${code} (${sys})`
    }
    cause = (cause as { cause?: unknown }).cause
  }
  return code
}
