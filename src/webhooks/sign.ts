import { ZhError } from '../errors.js'
import { toBytes } from './crypto.js'
import { asList } from './keys.js'
import { getScheme } from './registry.js'
import { checkId } from './schemes/shared.js'
import { unixSeconds } from './timestamp.js'
import type { SignOptions } from './types.js'

/**
 * Signs a webhook body and returns the headers to send with it: the signature(s) and, where
 * the scheme has them, the id and the timestamp. Several secrets give several signatures where
 * the scheme carries them (Standard Webhooks, Svix, Stripe, Paddle), for key rotation.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ type: 'build.finished', data: { id: 42 } })
 * const headers = signWebhook({ scheme: 'standard', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', body })
 * await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body })
 * ```
 */
export function signWebhook(options: SignOptions): Record<string, string> {
  const scheme = getScheme(options.scheme)
  if (typeof options.body !== 'string' && !(options.body instanceof Uint8Array)) {
    throw new ZhError('ZH_WEBHOOK_BODY_NOT_RAW', 'sign a string or bytes')
  }
  const timestamp = options.timestamp ?? unixSeconds()
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'timestamp must be whole Unix seconds')
  }
  if (options.id !== undefined) checkId(options.id, 'id')
  const secrets = asList(options.secret)
  const keys = asList(options.key)
  if (secrets.length + keys.length === 0) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'pass secret or key')
  }
  return scheme.sign({
    secrets,
    keys,
    id: options.id,
    timestamp,
    body: toBytes(options.body),
    url: options.url,
    legacySha1: options.legacySha1 ?? false,
  })
}
