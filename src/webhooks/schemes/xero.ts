import { digestId, fromBase64, hmac } from '../crypto.js'
import type { SchemeVerifyInput, WebhookScheme } from '../types.js'
import { jsonObject } from './body-id.js'
import { anyMatch, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'x-xero-signature'

/**
 * Xero: `x-xero-signature: <base64 HMAC-SHA256 of the body>` keyed with the app's webhooks key
 * (the string as shown, not base64-decoded). No time and no event id are signed; the id is a
 * digest of the body (which carries a random `entropy`). The challenge answers Xero's "Intent to
 * Receive" check, a payload with an empty `events` list: 200 and an empty body when it verifies,
 * ZH_WEBHOOK_SIGNATURE_INVALID (401, as Xero expects) when it does not.
 */
// Vector: Xero publishes none; the test cross-checks against node:crypto.
export const xero: WebhookScheme = {
  name: 'xero',
  tolerance: null,
  sign(input) {
    const mac = hmac('sha256', signKey(input, 'xero'), input.body)
    return { [SIGNATURE]: mac.toString('base64') }
  },
  verify(input) {
    verifySignature(input)
    return { id: digestId(input.body), timestamp: null }
  },
  challenge(input) {
    const events = jsonObject(input.body)?.events
    if (!Array.isArray(events) || events.length > 0) return null
    verifySignature(input)
    return { status: 200, headers: {}, body: '' }
  },
}

function verifySignature(input: SchemeVerifyInput): void {
  const keys = verifyKeys(input, 'xero')
  const presented = fromBase64(input.headers.required(SIGNATURE, { noComma: true }))
  mustMatch(
    anyMatch(keys, (key) => hmac('sha256', key, input.body), [presented]),
    'xero',
  )
}
