import { ZhError } from '../../errors.js'
import { fromBase64, hmac } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { bodyId } from './body-id.js'
import { anyMatch, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'x-square-hmacsha256-signature'

/**
 * Square: `x-square-hmacsha256-signature: <base64 HMAC-SHA256 of notification URL + body>` with
 * the subscription's signature key (used as-is). The notification URL is the `url` option,
 * required, exactly as configured in the subscription (it is not normalized). No time is signed.
 * The id is the body's `event_id` (signed; Square's idempotency value), else a digest.
 */
// Vector: square/square-python-sdk tests/integration/test_webhooks_helper.py.
export const square: WebhookScheme = {
  name: 'square',
  tolerance: null,
  sign(input) {
    const mac = hmac('sha256', signKey(input, 'square'), notificationUrl(input.url), input.body)
    return { [SIGNATURE]: mac.toString('base64') }
  },
  verify(input) {
    const keys = verifyKeys(input, 'square')
    const url = notificationUrl(input.url)
    const presented = fromBase64(input.headers.required(SIGNATURE, { noComma: true }))
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, url, input.body), [presented]),
      'square',
    )
    return { id: bodyId(input.body, 'event_id', [url, '\n', input.body]), timestamp: null }
  },
}

function notificationUrl(url: string | undefined): string {
  if (typeof url !== 'string' || url === '') {
    throw new ZhError(
      'ZH_WEBHOOK_OPTIONS_INVALID',
      'square needs the url option (the notification URL)',
    )
  }
  return url
}
