import { randomUUID } from 'node:crypto'
import { digestId, fromBase64, hmac } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { anyMatch, checkId, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'X-Shopify-Hmac-Sha256'
const EVENT_ID = 'X-Shopify-Event-Id'
const WEBHOOK_ID = 'X-Shopify-Webhook-Id'

/**
 * Shopify: `X-Shopify-Hmac-Sha256: <base64 HMAC-SHA256 of the body>` with the app's client
 * secret. The id is `X-Shopify-Event-Id` (shared by duplicates of one event), else
 * `X-Shopify-Webhook-Id`; neither is signed, so the body digest is a second replay key.
 * `X-Shopify-Triggered-At` is not signed either, so no timestamp is checked.
 */
export const shopify: WebhookScheme = {
  name: 'shopify',
  tolerance: null,
  sign(input) {
    const id = input.id ?? randomUUID()
    const mac = hmac('sha256', signKey(input, 'shopify'), input.body)
    return { [SIGNATURE]: mac.toString('base64'), [EVENT_ID]: id, [WEBHOOK_ID]: id }
  },
  verify(input) {
    const keys = verifyKeys(input, 'shopify')
    const { headers, body } = input
    const presented = fromBase64(headers.required(SIGNATURE, { noComma: true }))
    const delivery =
      headers.optional(EVENT_ID, { noComma: true }) ||
      headers.optional(WEBHOOK_ID, { noComma: true })
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, body), [presented]),
      'shopify',
    )
    const id = delivery ? checkId(delivery, EVENT_ID) : digestId(body)
    return { id, timestamp: null, unsignedId: [body] }
  },
}
