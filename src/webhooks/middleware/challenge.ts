import { randomBytes } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { answerChallenge, type ChallengeOptions } from '../challenge.js'
import { getScheme } from '../registry.js'
import type { SchemeName, Secret } from '../types.js'
import type { Answer } from './answer.js'
import type { LearnedSecretStore } from './learned-secret.js'

// Stands in for "no secret yet" where verification options need one (a route that learns its
// secret in a handshake): random per process, so nothing anyone sends verifies with it.
const NO_SECRET_YET: Secret = randomBytes(32)

/** The answer to a challenge, as a receiving surface sends it. */
export interface ChallengeReply extends Answer {
  /** True when the handshake handed over a secret, now kept in the store. */
  readonly learnedSecret: boolean
}

/** True when `scheme` answers a handshake or URL check (Slack, Zoom, Asana, Dropbox...). */
export function answersChallenges(scheme: SchemeName): boolean {
  return getScheme(scheme).challenge !== undefined
}

/** The secrets to verify with: the configured ones, then the one learned in a handshake. */
export async function secretsWithLearned(
  configured: readonly Secret[],
  learned: LearnedSecretStore | undefined,
): Promise<Secret[]> {
  const secret = await learned?.read()
  return secret === undefined ? [...configured] : [...configured, secret]
}

/**
 * Refuses with ZH_WEBHOOK_SECRET_NOT_LEARNED when a receiver that learns its secret in a
 * handshake has none yet (and no key): the provider has not completed its handshake.
 */
export function mustHaveSecret(
  secrets: readonly Secret[],
  publicKeys: number,
  learned: LearnedSecretStore | undefined,
): void {
  if (learned && secrets.length === 0 && publicKeys === 0) {
    throw new ZhError('ZH_WEBHOOK_SECRET_NOT_LEARNED', learned.where)
  }
}

/**
 * A receiving surface's step between reading the body and verifying it: answers the provider's
 * handshake or URL check (verified first when the provider signs it), or resolves null when
 * the request is not one. The answer is sent back as is and the request is never handed on. A
 * secret the handshake hands over is kept in `learned` first (trust on first use); without a
 * store the handshake is refused with ZH_WEBHOOK_SECRET_NOT_KEPT rather than answered and lost.
 *
 * @example
 * ```ts
 * const answer = await replyToChallenge({ scheme, secrets, headers, body, method, query }, learned)
 * if (answer) return writeAnswer(req, res, answer)
 * ```
 */
export async function replyToChallenge(
  options: ChallengeOptions,
  learned: LearnedSecretStore | undefined,
): Promise<ChallengeReply | null> {
  const keyless = (options.secrets ?? []).length === 0 && options.secret === undefined
  const noKey = keyless && (options.publicKey === undefined || isEmpty(options.publicKey))
  const noOptions = Object.keys(options.options ?? {}).length === 0
  const answer = await answerChallenge(
    noKey && noOptions ? { ...options, secrets: [NO_SECRET_YET] } : options,
  )
  if (!answer) return null
  if (answer.learnedSecret !== undefined) {
    if (!learned) throw new ZhError('ZH_WEBHOOK_SECRET_NOT_KEPT', options.scheme)
    await learned.learn(answer.learnedSecret)
  }
  // An echoed challenge is the caller's text: never cached, never sniffed into HTML.
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(answer.headers)) headers[name.toLowerCase()] = value
  headers['cache-control'] = 'no-store'
  headers['x-content-type-options'] = 'nosniff'
  return {
    status: answer.status,
    headers,
    body: answer.body,
    learnedSecret: answer.learnedSecret !== undefined,
  }
}

/** The query parameters of a request target (`/hook?challenge=abc`). */
export function queryOf(target: string | undefined): URLSearchParams {
  const mark = (target ?? '').indexOf('?')
  return new URLSearchParams(mark < 0 ? '' : target!.slice(mark + 1))
}

const isEmpty = (value: unknown): boolean => Array.isArray(value) && value.length === 0
