import http from 'node:http'
import { isZhError, type ZhError } from '../errors.js'

/** What the receiver answered to one attempt, its body read up to a cap. */
export interface AttemptResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  readonly truncated: boolean
}

// Dial refusals no retry can cure: authorization and identity checks, misuse, a closed context.
const FINAL_CODES = new Set<string>([
  'ZH_SDK_NO_GRANT',
  'ZH_SDK_CLOSED',
  'ZH_ROUTER_PERMISSION_REVOKED',
  'ZH_ROUTER_CERT_REVOKED',
  'ZH_E2E_URL_INVALID',
  'ZH_E2E_PEER_CERT_INVALID',
  'ZH_E2E_PEER_GRANT_INVALID',
  'ZH_E2E_WRONG_SERVICE',
  'ZH_E2E_REFUSED',
  'ZH_IDENTITY_DISABLED',
  'ZH_IDENTITY_DELETED',
])

/** An attempt worth retrying: a dial or connection error, a timeout, 5xx, 429 or 408. */
export interface Retryable {
  readonly kind: 'retry'
  readonly error: string
  readonly response?: AttemptResponse
  readonly cause?: unknown
}

/**
 * One POST with a timeout. Resolves the answer, or a retryable failure (dial or connection
 * error, timeout, 5xx, 429, 408); rethrows refusals in FINAL_CODES and the caller's abort.
 */
export async function attemptOnce(
  agent: http.Agent,
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  opts: { timeoutMs: number; maxResponseBytes: number; signal: AbortSignal | undefined },
): Promise<{ kind: 'answered'; response: AttemptResponse } | Retryable> {
  const timeout = AbortSignal.timeout(opts.timeoutMs)
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout
  let response: AttemptResponse
  try {
    response = await post(agent, url, headers, body, signal, opts.maxResponseBytes).catch(
      (err: unknown) => {
        // A kept-alive circuit the receiver closed while it sat idle in the pool (a server's
        // keep-alive timeout, a Lambda frozen meanwhile): the same attempt goes again at once on
        // a fresh one. Its id makes a resend harmless: receivers deduplicate.
        if (!(err instanceof StaleConnection) || signal.aborted) throw err
        return post(agent, url, headers, body, signal, opts.maxResponseBytes)
      },
    )
  } catch (err) {
    if (opts.signal?.aborted) throw err
    const zh = zhErrorIn(err)
    if (zh && FINAL_CODES.has(zh.code)) throw zh
    const error = zh?.code ?? (timeout.aborted ? 'timeout' : systemCode(err))
    return { kind: 'retry', error, cause: err }
  }
  const { status } = response
  if (status >= 500 || status === 429 || status === 408) {
    return { kind: 'retry', error: `HTTP ${status}`, response }
  }
  return { kind: 'answered', response }
}

/**
 * The POST itself, with node:http over the overlay's `http.Agent` (undici would add a tenth of a
 * second to the start of every one-shot sender); the answer is read up to `maxBytes`.
 */
function post(
  agent: http.Agent,
  url: string,
  headers: Record<string, string>,
  body: Buffer,
  signal: AbortSignal,
  maxBytes: number,
): Promise<AttemptResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers, agent, signal }, (res) => {
      const chunks: Buffer[] = []
      let size = 0
      let truncated = false
      const done = () => resolve(answer(res, Buffer.concat(chunks), truncated))
      res.on('data', (chunk: Buffer) => {
        const room = maxBytes - size
        if (chunk.length <= room) {
          chunks.push(chunk)
          size += chunk.length
          return
        }
        if (room > 0) chunks.push(chunk.subarray(0, room))
        size = maxBytes
        truncated = true
        // Stop reading: a receiver must not make us buffer an unbounded answer.
        res.removeAllListeners('data')
        res.destroy()
        done()
      })
      res.once('end', done)
      res.once('error', reject)
    })
    req.once('error', (err) =>
      reject(req.reusedSocket && !answered(req) ? new StaleConnection(err) : err),
    )
    req.end(body)
  })
}

/** A request on a reused connection that failed before any answer came. */
class StaleConnection extends Error {
  constructor(cause: Error) {
    super('the kept-alive connection was closed', { cause })
  }
}

/** True once the response head arrived. */
function answered(req: http.ClientRequest): boolean {
  return (req as { res?: unknown }).res != null
}

function answer(res: http.IncomingMessage, body: Buffer, truncated: boolean): AttemptResponse {
  const flat: Record<string, string> = {}
  for (const [k, v] of Object.entries(res.headers)) {
    if (v !== undefined) flat[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v
  }
  return { status: res.statusCode ?? 0, headers: flat, body: body.toString('utf8'), truncated }
}

function zhErrorIn(err: unknown): ZhError | undefined {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    if (isZhError(e)) return e
  }
  return undefined
}

// A system code (ECONNRESET, UND_ERR_SOCKET...) rather than a message that could carry a secret.
function systemCode(err: unknown): string {
  for (let e = err, depth = 0; e && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code
  }
  return 'connection failed'
}

/** Waits `ms`, or rejects when `signal` aborts. */
export function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal!.reason as Error)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
