import { randomBytes } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { digestId, fromHex, hmac } from '../crypto.js'
import type { SchemeSignInput, WebhookScheme } from '../types.js'
import { anyMatch, checkId, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'Sentry-Hook-Signature'
const TIMESTAMP = 'Sentry-Hook-Timestamp'
const RESOURCE = 'Sentry-Hook-Resource'
const REQUEST_ID = 'Request-ID'

/**
 * Sentry integration platform: `Sentry-Hook-Signature: <hex HMAC-SHA256 of the body>` keyed
 * with the integration's client secret. `Sentry-Hook-Timestamp` is not signed, so no time is
 * checked. The id is `Request-ID` (not signed: the body digest is a second replay key), else a
 * body digest. Signing option: `resource` sets `Sentry-Hook-Resource` (`issue`, `event_alert`...).
 */
// Vector: Sentry publishes none; the test cross-checks against node:crypto.
export const sentry: WebhookScheme = {
  name: 'sentry',
  tolerance: null,
  sign(input) {
    const mac = hmac('sha256', signKey(input, 'sentry'), input.body)
    return {
      [SIGNATURE]: mac.toString('hex'),
      [REQUEST_ID]: input.id ?? randomBytes(16).toString('hex'),
      [TIMESTAMP]: String(input.timestamp),
      ...resourceHeader(input),
    }
  },
  verify(input) {
    const keys = verifyKeys(input, 'sentry')
    const { headers, body } = input
    const presented = fromHex(headers.required(SIGNATURE, { noComma: true }))
    const requestId = headers.optional(REQUEST_ID, { noComma: true })
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, body), [presented]),
      'sentry',
    )
    const id = requestId ? checkId(requestId, REQUEST_ID) : digestId(body)
    return { id, timestamp: null, unsignedId: [body] }
  },
}

function resourceHeader(input: SchemeSignInput): Record<string, string> {
  const resource = input.options.resource
  if (resource === undefined) return {}
  if (typeof resource !== 'string' || !/^[a-z_]{1,64}$/.test(resource)) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'options.resource is a Sentry resource name')
  }
  return { [RESOURCE]: resource }
}
