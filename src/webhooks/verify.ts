import { ZhError, isZhError } from '../errors.js'
import { digestId } from './crypto.js'
import { getScheme } from './registry.js'
import type { ReplayStore } from './replay/store.js'
import { schemeVerifyInput } from './verify-input.js'
import type { ReplayOptions, SchemeVerified, VerifiedWebhook, VerifyOptions } from './types.js'

export { DEFAULT_MAX_BODY_BYTES } from './verify-input.js'

/** How long ids of schemes without a signed time are remembered by default (72 h). */
export const DEFAULT_UNTIMED_REPLAY_TTL = 72 * 3600

/**
 * Verifies a received webhook: size limits first, then the scheme's headers, signature(s) and
 * timestamp, then (with `replay`) that its id was not accepted before. Resolves the id and the
 * signed time, or rejects with a ZhError whose code says what failed.
 *
 * @example
 * ```ts
 * const { id } = await verifyWebhook({
 *   scheme: 'github',
 *   secret: process.env.GITHUB_WEBHOOK_SECRET!,
 *   headers: req.headers,
 *   body: rawBody, // the Buffer as received, before JSON.parse
 *   replay: createSqliteReplayStore({ database: 'replay.db' }),
 * })
 * ```
 */
export async function verifyWebhook(options: VerifyOptions): Promise<VerifiedWebhook> {
  const scheme = getScheme(options.scheme)
  const input = schemeVerifyInput(scheme, options)
  const pending = scheme.verify(input)
  // Most schemes answer synchronously: awaiting a plain value would still cost a microtask turn.
  const verified = pending instanceof Promise ? await pending : pending
  const replayKeys = options.replay
    ? await remember(options.replay, scheme.name, verified, input.clock)
    : []
  return { id: verified.id, timestamp: verified.timestamp, scheme: scheme.name, replayKeys }
}

// Records the id (and, when the id is not signed, a digest of the signed parts) until the
// message could no longer pass the timestamp check; a repeat of either is a replay.
async function remember(
  replay: ReplayStore | ReplayOptions,
  scheme: string,
  verified: SchemeVerified,
  clock: { now: number; tolerance: number },
): Promise<string[]> {
  const { store, namespace, ttl } =
    'store' in replay ? replay : { store: replay, namespace: undefined, ttl: undefined }
  if (ttl !== undefined && !(Number.isFinite(ttl) && ttl >= 0)) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'replay ttl must be seconds, 0 or more')
  }
  const prefix = `${namespace ? `${namespace}:` : ''}${scheme}:`
  const lastValid = verified.timestamp === null ? clock.now : verified.timestamp + clock.tolerance
  const fallbackTtl = verified.timestamp === null ? DEFAULT_UNTIMED_REPLAY_TTL : 2 * clock.tolerance
  const expiresAt = Math.max(clock.now + (ttl ?? fallbackTtl), lastValid + 1)
  const keys = [`${prefix}id:${verified.id}`]
  if (verified.unsignedId) keys.push(`${prefix}content:${digestId(...verified.unsignedId)}`)
  const recorded: string[] = []
  try {
    for (const key of keys) {
      if (!(await store.checkAndRemember(key, expiresAt, clock.now))) {
        await Promise.all(recorded.map((done) => store.forget(done)))
        throw new ZhError('ZH_WEBHOOK_REPLAYED', verified.id)
      }
      recorded.push(key)
    }
  } catch (err) {
    if (isZhError(err)) throw err
    throw new ZhError('ZH_WEBHOOK_REPLAY_STORE_FAILED', undefined, { cause: err })
  }
  return recorded
}
