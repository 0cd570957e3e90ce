/**
 * An AWS Lambda function that sends each event it is invoked with to a dark service as a signed
 * Standard Webhooks message, over the zerohook overlay: the receiver keeps no inbound port, and
 * this function needs no AWS SDK, only outbound access to a router and the controller.
 *
 * Environment:
 * - `ZEROHOOK_IDENTITY` (the identity JSON from `zerohook enroll`) or `ZEROHOOK_IDENTITY_FILE`
 * - `ZEROHOOK_SERVICE`, `ZEROHOOK_PATH` (default `/`), `ZEROHOOK_EVENT_TYPE` (default
 *   `aws.lambda.event`)
 * - `ZEROHOOK_WEBHOOK_SECRET`: `whsec_...`; several, space-separated, while rotating
 * - `ZEROHOOK_GRANT_CACHE`: where grants are kept (default `/tmp/zerohook.grants`; `off`: nowhere)
 * - `AWS_LAMBDA_LOG_LEVEL` (set by Lambda's logging controls): SDK lines at or above it, default WARN
 *
 * Returns `{ statusCode, body }`: 200 with `{ delivered, id, status, attempts, duplicate }`, or
 * the code's status with `{ error: { code, message } }`. It never throws and never echoes the
 * secret or the identity.
 */
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  DeliveryError,
  ZhError,
  connect,
  deliverWebhook,
  fileGrantCache,
  isZhError,
  loadIdentity,
  parseIdentity,
  type DeliveryResult,
  type IdentityFile,
  type SdkLog,
  type Zerohook,
} from 'zerohook'

/** The part of Lambda's context object this handler reads. */
export interface LambdaContext {
  readonly awsRequestId: string
  getRemainingTimeInMillis(): number
}

/** What API Gateway, a function URL or a synchronous caller gets back. */
export interface HandlerResult {
  statusCode: number
  body: string
}

// Retries inside one invocation come quickly: Lambda bills by the millisecond and its default
// timeout is 3 s. The usual trouble here (a link that died while the container was frozen) needs
// none: the dial reconnects at once and waits for the link. A router that stays away longer
// costs the retries, and a longer outage is the event source's to retry (same request id, so the
// same webhook id: the receiver dedups).
const RETRIES = 3
const BACKOFF_MS = 200
/** One attempt (dial, request, answer) never takes longer than this. */
const ATTEMPT_TIMEOUT_MS = 5_000
/** Kept back from the invocation's time to send the answer before Lambda's timeout strikes. */
const MARGIN_MS = 250
/** The time an invocation may take when no Lambda context says (a local call). */
const DEFAULT_BUDGET_MS = 30_000

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const

/**
 * SDK lines as JSON on stdout, which Lambda sends to CloudWatch. The SDK's default logger loads
 * pino on its first line with a runtime require, which a bundle does not carry; this one needs
 * nothing.
 */
function lambdaLog(level = process.env.AWS_LAMBDA_LOG_LEVEL?.toLowerCase()): SdkLog {
  const min = LEVELS[level as keyof typeof LEVELS] ?? LEVELS.warn
  const line = (name: keyof typeof LEVELS) => (obj: object, msg: string) => {
    if (LEVELS[name] >= min)
      process.stdout.write(`${JSON.stringify({ level: name.toUpperCase(), msg, ...obj })}\n`)
  }
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') }
}
const log = lambdaLog()

/**
 * The container's zerohook context, as a promise: concurrent first invocations (Lambda Managed
 * Instances run several at once) share one connect, and every later invocation reuses it, so
 * only a cold start pays for the grants and the router's mutual TLS; a warm invocation sends on
 * the circuit of the one before (deliverWebhook keeps it alive in the context), or, if the
 * receiver closed it while the container was frozen, pays one dial and the end-to-end handshake.
 *
 * It is never closed between invocations. Lambda freezes the process with its router link open
 * and thaws it for the next event; a close would make every invocation a cold one. If the link
 * died meanwhile (the router restarted, or dropped it after its keepalive went unanswered), the
 * SDK sees it closed on thaw, and the first dial reconnects at once and waits for it (up to 3 s,
 * then ZH_SDK_NO_ROUTER, which deliverWebhook retries: see RETRIES). When Lambda retires the
 * container it just stops it: the router forgets the link at its keepalive, and a sender binds
 * nothing that would need tearing down.
 */
let context: Promise<Zerohook> | undefined

/** The context, made on first use and again after a failed connect or a close. */
function zerohook(): Promise<Zerohook> {
  if (!context) {
    const made = open()
    context = made
    // A failed connect (controller or router unreachable, a bad identity) is not kept: the next
    // invocation tries again rather than failing forever on a remembered rejection.
    made.catch(() => {
      if (context === made) context = undefined
    })
  }
  return context
}

async function open(): Promise<Zerohook> {
  const cache = process.env.ZEROHOOK_GRANT_CACHE ?? join(tmpdir(), 'zerohook.grants')
  // Grants in a 0600 file under /tmp, Lambda's one writable directory: a context made again in
  // this container (after a failed connect) skips the controller while they are fresh. /tmp
  // belongs to one execution environment; a new environment starts with an empty one unless
  // this points at shared storage (EFS). Routers check every grant, so a stale cache costs a
  // refused dial and a refetch, never access.
  return connect(await identity(), {
    log,
    grantCache: cache === 'off' ? undefined : fileGrantCache(cache),
  })
}

async function identity(): Promise<IdentityFile> {
  const { ZEROHOOK_IDENTITY: json, ZEROHOOK_IDENTITY_FILE: file } = process.env
  if (json) return parseIdentity(json, 'ZEROHOOK_IDENTITY')
  if (file) return loadIdentity(file)
  throw new ZhError(
    'ZH_CONFIG_INVALID',
    'set ZEROHOOK_IDENTITY (the identity JSON) or ZEROHOOK_IDENTITY_FILE',
  )
}

// Connect while Lambda runs the module's init: on a cold start the first invocation finds the
// work under way; with provisioned concurrency it is done before any event (the link may have
// died by then, as above, but the grants and the identity are in hand). A failure is reported
// by the invocation that awaits it.
void zerohook()

interface Target {
  service: string
  path: string
  type: string
  secrets: string[]
}

function target(env = process.env): Target {
  const need = (name: string) => {
    const value = env[name]?.trim()
    if (!value) throw new ZhError('ZH_CONFIG_INVALID', `set ${name}`)
    return value
  }
  return {
    service: need('ZEROHOOK_SERVICE'),
    path: env.ZEROHOOK_PATH || '/',
    type: env.ZEROHOOK_EVENT_TYPE || 'aws.lambda.event',
    secrets: need('ZEROHOOK_WEBHOOK_SECRET').split(/\s+/),
  }
}

/**
 * Sends `event` as the `data` of a signed Standard Webhooks message to `ZEROHOOK_SERVICE`.
 *
 * @example
 * ```ts
 * const res = await handler({ order: 'ord_1042' }, context)
 * // { statusCode: 200, body: '{"delivered":true,"id":"msg_...","status":202,...}' }
 * ```
 */
export const handler = async (event: unknown, lambda?: LambdaContext): Promise<HandlerResult> => {
  const deadline =
    Date.now() + (lambda?.getRemainingTimeInMillis() ?? DEFAULT_BUDGET_MS) - MARGIN_MS
  // Lambda retries a failed asynchronous invocation with the same request id: as the webhook
  // id, a retry of a delivery that did arrive is answered "already delivered", not run twice.
  const id = lambda ? `msg_${lambda.awsRequestId}` : undefined
  let secrets: string[] = []
  try {
    const to = target()
    secrets = to.secrets
    const res = await send(event, to, id, deadline)
    const { status, attempts, duplicate } = res
    return answer(200, { delivered: true, id: res.id, status, attempts, duplicate })
  } catch (err) {
    return failure(err, id, secrets)
  }
}

async function send(
  event: unknown,
  to: Target,
  id: string | undefined,
  deadline: number,
): Promise<DeliveryResult> {
  for (let again = false; ; again = true) {
    const pending = zerohook()
    const zh = await beforeDeadline(pending, deadline)
    const left = Math.floor(deadline - Date.now())
    if (left <= 0) throw outOfTime(id)
    const time = new AbortController()
    const timer = setTimeout(() => time.abort(), left)
    try {
      return await deliverWebhook(zh, {
        service: to.service,
        path: to.path,
        scheme: 'standard',
        secret: to.secrets,
        type: to.type,
        data: event ?? {},
        id,
        retries: RETRIES,
        backoffMs: BACKOFF_MS,
        timeoutMs: Math.min(ATTEMPT_TIMEOUT_MS, left),
        signal: time.signal,
        // The code of what failed (ZH_SDK_NO_ROUTER, ECONNRESET, HTTP 503...), never the body.
        onRetry: ({ attempt, error, delayMs }) =>
          log.warn({ attempt, error, delayMs }, 'attempt failed; retrying'),
      })
    } catch (err) {
      if (time.signal.aborted) throw outOfTime(id)
      // Someone closed the context: make a new one, once, and send the same id again.
      if (again || !isZhError(err, 'ZH_SDK_CLOSED')) throw err
      if (context === pending) context = undefined
    } finally {
      clearTimeout(timer)
    }
  }
}

/** The connect, unless the invocation runs out of time first (it goes on for the next one). */
function beforeDeadline(pending: Promise<Zerohook>, deadline: number): Promise<Zerohook> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new ZhError(
            'ZH_SEND_FAILED',
            'not connected to the overlay before the invocation ran out of time; the connect goes on for the next invocation',
          ),
        ),
      Math.max(0, deadline - Date.now()),
    )
  })
  return Promise.race([pending, late]).finally(() => clearTimeout(timer))
}

function outOfTime(id: string | undefined): ZhError {
  const again = id ? ` send again with the same id (${id})` : ' send again'
  return new ZhError(
    'ZH_SEND_FAILED',
    `the invocation ran out of time; the receiver may have it:${again}`,
  )
}

function failure(err: unknown, id: string | undefined, secrets: readonly string[]): HandlerResult {
  if (!isZhError(err)) {
    // Not one of ours: its message could say anything, so it stays in the log, by name only.
    log.error(
      { code: 'ZH_INTERNAL', err: err instanceof Error ? err.name : typeof err },
      'send failed',
    )
    const internal = new ZhError('ZH_INTERNAL')
    return answer(500, { error: { code: internal.code, message: internal.message }, id })
  }
  // Messages are the registry's text and a detail that never holds a secret; redact anyway, so
  // a future detail cannot leak one into an API Gateway answer.
  let message = err.message
  for (const s of secrets) if (s.length >= 8) message = message.split(s).join('[redacted]')
  const body: Record<string, unknown> = { error: { code: err.code, message }, id }
  if (err instanceof DeliveryError) {
    body.id = err.id
    body.attempts = err.attempts
    const code = err.response?.headers['zerohook-code']
    if (err.response) body.receiver = { status: err.response.status, ...(code ? { code } : {}) }
  }
  log.warn({ code: err.code, id: body.id }, 'send failed')
  return answer(err.status, body)
}

function answer(statusCode: number, body: object): HandlerResult {
  return { statusCode, body: JSON.stringify(body) }
}
