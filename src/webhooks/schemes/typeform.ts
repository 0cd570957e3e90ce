import { fromBase64, hmac } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { bodyId } from './body-id.js'
import { anyMatch, mustMatch, prefixed, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'Typeform-Signature'

/**
 * Typeform: `Typeform-Signature: sha256=<base64 HMAC-SHA256 of the body>` keyed with the
 * webhook's secret. No time is signed. The id is the body's `event_id`, else a body digest.
 */
// Vector: Typeform publishes none; the test cross-checks against node:crypto.
export const typeform: WebhookScheme = {
  name: 'typeform',
  tolerance: null,
  sign(input) {
    const mac = hmac('sha256', signKey(input, 'typeform'), input.body)
    return { [SIGNATURE]: `sha256=${mac.toString('base64')}` }
  },
  verify(input) {
    const keys = verifyKeys(input, 'typeform')
    const header = input.headers.required(SIGNATURE, { noComma: true })
    const presented = fromBase64(prefixed(header, SIGNATURE, 'sha256'))
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, input.body), [presented]),
      'typeform',
    )
    return { id: bodyId(input.body, 'event_id', [input.body]), timestamp: null }
  },
}
