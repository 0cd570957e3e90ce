import { randomUUID } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { fromHex, hmac } from '../crypto.js'
import { checkFreshness } from '../timestamp.js'
import type { WebhookScheme } from '../types.js'
import { jsonObject } from './body-id.js'
import { anyMatch, checkId, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'Linear-Signature'
const DELIVERY = 'Linear-Delivery'

/**
 * Linear: `Linear-Signature: <hex HMAC-SHA256 of the body>`; the signed time is the body's
 * `webhookTimestamp` (Unix milliseconds), checked within 60 s by default as Linear advises,
 * after the signature. The id is `Linear-Delivery` (not signed: the body digest is a second key).
 */
export const linear: WebhookScheme = {
  name: 'linear',
  tolerance: 60,
  sign(input) {
    const mac = hmac('sha256', signKey(input, 'linear'), input.body)
    return { [SIGNATURE]: mac.toString('hex'), [DELIVERY]: input.id ?? randomUUID() }
  },
  verify(input) {
    const keys = verifyKeys(input, 'linear')
    const { headers, body } = input
    const presented = fromHex(headers.required(SIGNATURE, { noComma: true }))
    const id = checkId(headers.required(DELIVERY, { noComma: true }), DELIVERY)
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, body), [presented]),
      'linear',
    )
    const millis = jsonObject(body)?.webhookTimestamp
    if (typeof millis !== 'number' || !Number.isSafeInteger(millis) || millis < 0) {
      throw new ZhError(
        'ZH_WEBHOOK_TIMESTAMP_INVALID',
        'the body has no webhookTimestamp in milliseconds',
      )
    }
    const timestamp = Math.floor(millis / 1000)
    checkFreshness(timestamp, input.clock)
    return { id, timestamp, unsignedId: [body] }
  },
}
