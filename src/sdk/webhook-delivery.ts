import type http from 'node:http'
import { isName } from '../controller/policy/names.js'
import { ZhError, type ZhCode } from '../errors.js'
import { retryAfterMs, withJitter } from '../webhooks/sender/schedule.js'
import type { Secret } from '../webhooks/types.js'
import { attemptOnce, sleep, type AttemptResponse, type Retryable } from './webhook-attempt.js'
import { buildMessage, signAttempt, type DeliveryScheme } from './webhook-message.js'

export type { DeliveryScheme }

/** Options of {@link deliverWebhook}. */
export interface DeliverWebhookOptions {
  /** The service to dial: the request goes to `http://<service><path>` over the overlay. */
  readonly service: string
  /** Default `/`. */
  readonly path?: string
  /** Default `standard`. */
  readonly scheme?: DeliveryScheme
  /** Signing secret(s): `whsec_...` for standard, the hook's secret for github. Several: rotation. */
  readonly secret: Secret | readonly Secret[]
  /** The event type: `type` of a Standard Webhooks body, `X-GitHub-Event` with github. */
  readonly type: string
  /** JSON data (standard: the `data` field; github: the whole body). */
  readonly data?: unknown
  /** Raw JSON bytes instead of `data` (github: sent byte for byte). */
  readonly payload?: Uint8Array | string
  /** Extra headers; the signature, id and event headers are reserved. */
  readonly headers?: Readonly<Record<string, string>>
  /** The message id (default a fresh one); the same on every attempt, so receivers dedup. */
  readonly id?: string
  /** Attempts after the first; default 3. */
  readonly retries?: number
  /** Per attempt (dial, headers and body), in ms; default 15 s. */
  readonly timeoutMs?: number
  /** First retry delay, doubled on each retry with ±20 % jitter; default 1 s. */
  readonly backoffMs?: number
  /** Longest wait between attempts, `Retry-After` included; default 60 s. */
  readonly maxDelayMs?: number
  /** Largest body sent; default 1 MiB. */
  readonly maxBodyBytes?: number
  /** Most response bytes read back (the rest is discarded); default 64 KiB. */
  readonly maxResponseBytes?: number
  /** Stops the delivery between or during attempts. */
  readonly signal?: AbortSignal
  /** Told about each failed attempt that will be retried (for logs; never the body or secret). */
  readonly onRetry?: (info: {
    attempt: number
    status: number | null
    error: string | null
    delayMs: number
  }) => void
}

/** What the receiver answered to the attempt that settled the delivery. */
export interface DeliveryResult {
  readonly id: string
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** The response body as text, at most `maxResponseBytes` of it. */
  readonly body: string
  readonly truncated: boolean
  readonly attempts: number
  /** True when the receiver answered 409 `ZH_WEBHOOK_REPLAYED`: it had this id already. */
  readonly duplicate: boolean
}

/** A failed delivery: the code, plus what is known of the last attempt. */
export class DeliveryError extends ZhError {
  constructor(
    code: ZhCode,
    detail: string,
    readonly id: string,
    readonly attempts: number,
    readonly response?: AttemptResponse,
    cause?: unknown,
  ) {
    super(code, detail, { cause })
    this.name = 'DeliveryError'
  }
}

/** Something with an overlay `http.Agent`: a connected `Zerohook`. */
export interface AgentSource {
  httpAgent(): http.Agent
  /**
   * A keep-alive agent shared by every delivery (a connected `Zerohook` has one): the next
   * webhook to a service goes on the circuit of the last. Without it each delivery makes its own
   * agent and closes it when done.
   */
  deliveryAgent?(): http.Agent
}

/**
 * Delivers one signed webhook to a service over the overlay: builds the body, signs each attempt
 * afresh (same id, new timestamp), POSTs it through the context's keep-alive `http.Agent` (a warm process reuses the circuit of its
 * last delivery to the service), and retries with
 * exponential backoff on dial errors, timeouts, 5xx and 429 (no sooner than a `Retry-After`,
 * within `maxDelayMs`). 2xx resolves; so does 409 `zerohook-code: ZH_WEBHOOK_REPLAYED` (already
 * delivered). 3xx and other 4xx reject at once with ZH_SEND_REJECTED; exhausted retries with
 * ZH_SEND_FAILED; an authorization refusal with its own code (ZH_SDK_NO_GRANT...).
 *
 * @example
 * ```ts
 * const zh = await connect(await loadIdentity('ci.json'))
 * const res = await deliverWebhook(zh, {
 *   service: 'jenkins-webhook', path: '/github-webhook/', scheme: 'github',
 *   secret: process.env.WEBHOOK_SECRET!, type: 'push', data: { ref: 'refs/heads/main' },
 * })
 * console.log(res.status, res.id, res.attempts)
 * ```
 */
export async function deliverWebhook(
  zh: AgentSource,
  options: DeliverWebhookOptions,
): Promise<DeliveryResult> {
  const retries = whole(options.retries ?? 3, 'retries', 0, 100)
  const timeoutMs = whole(options.timeoutMs ?? 15_000, 'timeoutMs', 1, 3_600_000)
  const backoffMs = whole(options.backoffMs ?? 1_000, 'backoffMs', 0, 3_600_000)
  const maxDelayMs = whole(options.maxDelayMs ?? 60_000, 'maxDelayMs', 0, 3_600_000)
  const maxResponseBytes = whole(
    options.maxResponseBytes ?? 64 * 1024,
    'maxResponseBytes',
    0,
    2 ** 26,
  )
  if (!isName(options.service)) {
    throw new ZhError('ZH_SEND_OPTIONS_INVALID', 'service is a service name')
  }
  const path = options.path ?? '/'
  if (!/^\/[\x21-\x7e]{0,2047}$/.test(path)) {
    throw new ZhError('ZH_SEND_OPTIONS_INVALID', 'path starts with / and has no spaces')
  }
  const message = buildMessage({
    scheme: options.scheme ?? 'standard',
    type: options.type,
    data: options.data,
    payload: options.payload,
    id: options.id,
    headers: options.headers,
    maxBodyBytes: whole(options.maxBodyBytes ?? 1024 * 1024, 'maxBodyBytes', 1, 2 ** 30),
    now: Date.now(),
  })
  const url = `http://${options.service}${path}`
  const shared = zh.deliveryAgent?.()
  const agent = shared ?? zh.httpAgent()
  let last: Retryable | undefined
  try {
    for (let attempt = 1; attempt <= retries + 1; attempt++) {
      options.signal?.throwIfAborted()
      const headers = signAttempt(message, options.secret, Date.now())
      const outcome = await attemptOnce(agent, url, headers, message.body, {
        timeoutMs,
        maxResponseBytes,
        signal: options.signal,
      })
      if (outcome.kind === 'answered') {
        const { response } = outcome
        const duplicate =
          response.status === 409 && response.headers['zerohook-code'] === 'ZH_WEBHOOK_REPLAYED'
        if ((response.status >= 200 && response.status < 300) || duplicate) {
          return { id: message.id, ...response, attempts: attempt, duplicate }
        }
        const detail = `HTTP ${response.status}`
        throw new DeliveryError('ZH_SEND_REJECTED', detail, message.id, attempt, response)
      }
      last = outcome
      if (attempt > retries) break
      const backoff = withJitter(
        Math.min(backoffMs * 2 ** (attempt - 1), maxDelayMs),
        0.2,
        Math.random,
      )
      const asked = retryAfterMs(last.response?.headers['retry-after'], Date.now(), maxDelayMs) ?? 0
      const delayMs = Math.max(backoff, asked)
      options.onRetry?.({
        attempt,
        status: last.response?.status ?? null,
        error: last.error,
        delayMs,
      })
      await sleep(delayMs, options.signal)
    }
  } finally {
    if (!shared) agent.destroy()
  }
  const attempts = retries + 1
  throw new DeliveryError(
    'ZH_SEND_FAILED',
    `${attempts} attempt(s); last: ${last?.error ?? 'unknown'}`,
    message.id,
    attempts,
    last?.response,
    last?.cause,
  )
}

function whole(value: number, name: string, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ZhError('ZH_SEND_OPTIONS_INVALID', `${name} is a whole number in [${min}, ${max}]`)
  }
  return value
}
