import { ZhError, isZhError } from '../errors.js'
import { digestId } from './crypto.js'
import { DEFAULT_MAX_HEADER_BYTES, readHeaders } from './headers.js'
import { asList } from './keys.js'
import { getScheme } from './registry.js'
import type { ReplayStore } from './replay/store.js'
import { unixSeconds } from './timestamp.js'
import type { ReplayOptions, SchemeVerified, VerifiedWebhook, VerifyOptions } from './types.js'

/** Default largest body, in bytes (1 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

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
  const { body } = options
  if (!(body instanceof Uint8Array)) throw new ZhError('ZH_WEBHOOK_BODY_NOT_RAW')
  const maxBody = limit(options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes')
  if (body.byteLength > maxBody)
    throw new ZhError('ZH_WEBHOOK_BODY_TOO_LARGE', `over ${maxBody} bytes`)
  const tolerance = options.tolerance ?? scheme.tolerance ?? 0
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'tolerance must be seconds, 0 or more')
  }
  const secrets = [...asList(options.secret), ...asList(options.secrets)]
  const publicKeys = asList(options.publicKey)
  if (secrets.length + publicKeys.length === 0) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'pass secret, secrets or publicKey')
  }
  const clock = { now: unixSeconds(options.now), tolerance }
  const maxHeader = limit(options.maxHeaderBytes, DEFAULT_MAX_HEADER_BYTES, 'maxHeaderBytes')
  const verified = scheme.verify({
    headers: readHeaders(options.headers, maxHeader),
    body,
    secrets,
    publicKeys,
    url: options.url,
    clock,
    legacySha1: options.legacySha1 ?? false,
  })
  const replayKeys = options.replay
    ? await remember(options.replay, scheme.name, verified, clock)
    : []
  return { id: verified.id, timestamp: verified.timestamp, scheme: scheme.name, replayKeys }
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', `${name} must be a whole number of bytes`)
  }
  return value
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
