import { getScheme } from './registry.js'
import type { ChallengeAnswer, VerifyOptions } from './types.js'
import { schemeVerifyInput } from './verify-input.js'

/** Options of {@link answerChallenge}: those of verification (no replay), plus the query. */
export interface ChallengeOptions extends Omit<VerifyOptions, 'replay'> {
  /** The query string or parameters; read from `url` when omitted. */
  readonly query?: string | URLSearchParams
}

/**
 * Answers a provider's handshake or URL check, or resolves null when the request is not one
 * (then verify it with {@link verifyWebhook}). Challenges the provider signs are verified
 * first and reject like a webhook would; the rest are only echoed, which reveals nothing.
 *
 * @example
 * ```ts
 * const answer = await answerChallenge({ scheme: 'slack', secret, method: req.method, headers: req.headers, body })
 * if (answer) return res.writeHead(answer.status, answer.headers).end(answer.body)
 * await verifyWebhook({ scheme: 'slack', secret, headers: req.headers, body })
 * ```
 */
export async function answerChallenge(options: ChallengeOptions): Promise<ChallengeAnswer | null> {
  const scheme = getScheme(options.scheme)
  if (!scheme.challenge) return null
  // A handshake may come before any secret exists (Asana hands one over in it).
  const input = schemeVerifyInput(scheme, options, { keysRequired: false })
  return await scheme.challenge({ ...input, query: queryOf(options) })
}

function queryOf(options: ChallengeOptions): URLSearchParams {
  if (options.query instanceof URLSearchParams) return options.query
  if (typeof options.query === 'string') return new URLSearchParams(options.query)
  const url = options.url ?? ''
  const mark = url.indexOf('?')
  return new URLSearchParams(mark < 0 ? '' : url.slice(mark + 1))
}
