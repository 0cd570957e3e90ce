import { randomBytes } from 'node:crypto'
import { digestId, fromBase64, hmac } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { anyMatch, checkId, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'X-WC-Webhook-Signature'
const DELIVERY = 'X-WC-Webhook-Delivery-ID'

// What WooCommerce posts, unsigned, when a webhook is saved active: `webhook_id=<its id>`.
const PING = /^webhook_id=[0-9]{1,20}$/

/**
 * WooCommerce: `X-WC-Webhook-Signature: <base64 HMAC-SHA256 of the body>` keyed with the
 * webhook's secret. No time is signed. The id is `X-WC-Webhook-Delivery-ID` (not signed: the
 * body digest is a second replay key), else a body digest; `X-WC-Webhook-ID` names the webhook,
 * not the delivery. The challenge answers the unsigned `webhook_id=<n>` ping WooCommerce sends
 * when a webhook is saved (it activates the webhook only on a 2xx); it carries no data.
 */
// Vector: WooCommerce publishes none; the test cross-checks against node:crypto.
export const woocommerce: WebhookScheme = {
  name: 'woocommerce',
  tolerance: null,
  sign(input) {
    const mac = hmac('sha256', signKey(input, 'woocommerce'), input.body)
    return {
      [SIGNATURE]: mac.toString('base64'),
      [DELIVERY]: input.id ?? randomBytes(16).toString('hex'),
    }
  },
  verify(input) {
    const keys = verifyKeys(input, 'woocommerce')
    const { headers, body } = input
    const presented = fromBase64(headers.required(SIGNATURE, { noComma: true }))
    const delivery = headers.optional(DELIVERY, { noComma: true })
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, body), [presented]),
      'woocommerce',
    )
    const id = delivery ? checkId(delivery, DELIVERY) : digestId(body)
    return { id, timestamp: null, unsignedId: [body] }
  },
  challenge(input) {
    if (input.headers.has(SIGNATURE) || input.body.byteLength > 32) return null
    const text = Buffer.from(input.body).toString('latin1')
    return PING.test(text) ? { status: 200, headers: {}, body: '' } : null
  },
}
