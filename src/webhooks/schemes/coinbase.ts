import { digestId, fromHex, hmac } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { jsonObject } from './body-id.js'
import { anyMatch, checkId, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'X-CC-Webhook-Signature'

/**
 * Coinbase Commerce: `X-CC-Webhook-Signature: <hex HMAC-SHA256 of the body>` keyed with the
 * shared webhook secret from Settings > Notifications. No time is signed (the body's
 * `scheduled_for` and `attempt_number` change between retries). The id is the body's
 * `event.id` (signed, the same for every retry of an event), else a digest of the body.
 */
// Vector: coinbase/coinbase-commerce-node, test/testWebhook.spec.js (Coinbase's official Node SDK).
export const coinbase: WebhookScheme = {
  name: 'coinbase',
  tolerance: null,
  sign(input) {
    const mac = hmac('sha256', signKey(input, 'coinbase'), input.body)
    return { [SIGNATURE]: mac.toString('hex') }
  },
  verify(input) {
    const keys = verifyKeys(input, 'coinbase')
    const presented = fromHex(input.headers.required(SIGNATURE, { noComma: true }))
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, input.body), [presented]),
      'coinbase',
    )
    return { id: eventId(input.body) ?? digestId(input.body), timestamp: null }
  },
}

// The delivery wraps the event: `{"id": 1, "attempt_number": 1, "event": {"id": "<uuid>", ...}}`.
function eventId(body: Uint8Array): string | undefined {
  const event = jsonObject(body)?.event
  const id =
    typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined
  return typeof id === 'string' && id !== '' ? checkId(id, 'event.id') : undefined
}
