import { fromHex, hmac } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { bodyId } from './body-id.js'
import { anyMatch, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'x-vercel-signature'

/**
 * Vercel: `x-vercel-signature: <hex HMAC-SHA1 of the body>` keyed with the webhook's secret (or,
 * for an integration's webhooks, its client secret). No time is signed. The id is the event's
 * `id` in the signed body, else a body digest.
 */
// Vector: Vercel publishes none; the test cross-checks against node:crypto.
export const vercel: WebhookScheme = {
  name: 'vercel',
  tolerance: null,
  sign(input) {
    const mac = hmac('sha1', signKey(input, 'vercel'), input.body)
    return { [SIGNATURE]: mac.toString('hex') }
  },
  verify(input) {
    const keys = verifyKeys(input, 'vercel')
    const presented = fromHex(input.headers.required(SIGNATURE, { noComma: true }))
    mustMatch(
      anyMatch(keys, (key) => hmac('sha1', key, input.body), [presented]),
      'vercel',
    )
    return { id: bodyId(input.body, 'id', [input.body]), timestamp: null }
  },
}
