import { ZhError } from '../errors.js'
import { toBytes } from './crypto.js'
import { asList } from './keys.js'
import { checkId } from './schemes/shared.js'
import { unixSeconds } from './timestamp.js'
import type { SignOptions, WebhookScheme } from './types.js'
import { httpMethod, schemeOptions } from './verify-input.js'

/**
 * {@link signWebhook} with the scheme itself rather than its name: what a sender that knows its
 * scheme imports, so it does not load every scheme of the registry.
 *
 * @example
 * ```ts
 * import { standard } from './schemes/standard.js'
 * const headers = signWith(standard, { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', body: '{}' })
 * ```
 */
export function signWith(
  scheme: WebhookScheme,
  options: Omit<SignOptions, 'scheme'>,
): Record<string, string> {
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
    method: httpMethod(options.method),
    options: schemeOptions(options.options),
    legacySha1: options.legacySha1 ?? false,
  })
}
