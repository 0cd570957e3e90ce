import type { IncomingMessage, ServerResponse } from 'node:http'
import { describeCode, isZhError, type ZhCode } from '../../errors.js'

/** An HTTP answer, independent of the framework that writes it. */
export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** The header that repeats the code of a refusal, so a sender can act on it without the body. */
export const CODE_HEADER = 'zerohook-code'

// Codes a caller may see as they are; any other 5xx is the operator's problem (a malformed
// secret, wrong options) and is answered as ZH_INTERNAL, its real code only logged.
// A body parsed before the middleware (express.json() mounted first) is told as itself: its
// message says how to mount the middleware, and it reveals nothing of the configuration.
const TOLD_5XX = new Set<ZhCode>([
  'ZH_WEBHOOK_REPLAY_STORE_FAILED',
  'ZH_WEBHOOK_HANDLER_FAILED',
  'ZH_WEBHOOK_BODY_NOT_RAW',
])

/** The code a caller is told for an error: its own, or ZH_INTERNAL for configuration faults. */
export function publicCode(err: unknown): ZhCode {
  if (isZhError(err)) return err.status < 500 || TOLD_5XX.has(err.code) ? err.code : 'ZH_INTERNAL'
  // Framework errors (a malformed Content-Length seen by Fastify) carry a client status.
  const status = (err as { statusCode?: unknown } | null)?.statusCode
  if (status === 413) return 'ZH_WEBHOOK_BODY_TOO_LARGE'
  return typeof status === 'number' && status >= 400 && status < 500
    ? 'ZH_BAD_REQUEST'
    : 'ZH_INTERNAL'
}

/**
 * The answer to a refused webhook: the registry's status and `{ "error": { "code", "message" } }`
 * with the registry's message only. Details (which header, which id, which secret was tried)
 * stay in the server's log.
 */
export function refusal(code: ZhCode): Answer {
  const { status, message } = describeCode(code)
  const headers: Record<string, string> = {
    'content-type': 'application/json; charset=utf-8',
    'cache-control': 'no-store',
    [CODE_HEADER]: code,
  }
  // "Try again soon" only where a retry can succeed: still being handled, or a store outage.
  if (code === 'ZH_WEBHOOK_IN_PROGRESS' || status === 503) headers['retry-after'] = '5'
  return { status, headers, body: JSON.stringify({ error: { code, message } }) }
}

/** Writes an answer on a Node response; closes the connection when the body was left unread. */
export function writeAnswer(req: IncomingMessage, res: ServerResponse, answer: Answer): void {
  if (res.headersSent) {
    if (!res.writableEnded) res.destroy()
    return
  }
  res.writeHead(answer.status, {
    ...answer.headers,
    ...(req.complete ? {} : { connection: 'close' }),
  })
  res.end(answer.body)
}
