import { digestId, fromHex, hmac } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { anyMatch, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'X-Signature'

/**
 * Lemon Squeezy: `X-Signature: <hex HMAC-SHA256 of the body>` keyed with the signing secret
 * entered when the webhook was created. No time is signed and the payload carries no event id
 * (`X-Event-Name` is only the event's type), so the id is a digest of the body.
 */
// Vector: Lemon Squeezy publishes none; the test cross-checks against node:crypto.
export const lemonsqueezy: WebhookScheme = {
  name: 'lemonsqueezy',
  tolerance: null,
  sign(input) {
    const mac = hmac('sha256', signKey(input, 'lemonsqueezy'), input.body)
    return { [SIGNATURE]: mac.toString('hex') }
  },
  verify(input) {
    const keys = verifyKeys(input, 'lemonsqueezy')
    const presented = fromHex(input.headers.required(SIGNATURE, { noComma: true }))
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, input.body), [presented]),
      'lemonsqueezy',
    )
    return { id: digestId(input.body), timestamp: null }
  },
}
