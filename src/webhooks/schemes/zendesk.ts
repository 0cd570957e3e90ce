import { randomUUID } from 'node:crypto'
import { digestId, fromBase64, hmac } from '../crypto.js'
import { checkFreshness } from '../timestamp.js'
import type { WebhookScheme } from '../types.js'
import { formatRfc3339, parseRfc3339 } from './rfc3339.js'
import { anyMatch, checkId, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'X-Zendesk-Webhook-Signature'
const TIMESTAMP = 'X-Zendesk-Webhook-Signature-Timestamp'
const INVOCATION = 'X-Zendesk-Webhook-Invocation-Id'

/**
 * Zendesk: `X-Zendesk-Webhook-Signature: <base64 HMAC-SHA256 of timestamp + body>` with the
 * webhook's signing secret (used as-is), `X-Zendesk-Webhook-Signature-Timestamp` being an
 * ISO 8601 / RFC 3339 time (`2021-03-25T05:09:27Z`). Zendesk gives no tolerance: 5 minutes,
 * both ways. The id is `X-Zendesk-Webhook-Invocation-Id` (not signed, so a digest of the signed
 * parts is a second replay key), else that digest.
 */
// No published vector for the current order: the only example Zendesk published (an older page,
// secret "HRkRd4Be...") matches body + timestamp, which its text no longer says; see the test.
export const zendesk: WebhookScheme = {
  name: 'zendesk',
  tolerance: 300,
  sign(input) {
    const time = formatRfc3339(input.timestamp)
    const mac = hmac('sha256', signKey(input, 'zendesk'), time, input.body)
    return {
      [SIGNATURE]: mac.toString('base64'),
      [TIMESTAMP]: time,
      [INVOCATION]: input.id ?? randomUUID(),
    }
  },
  verify(input) {
    const keys = verifyKeys(input, 'zendesk')
    const { headers, body } = input
    const time = headers.required(TIMESTAMP, { noComma: true })
    const timestamp = parseRfc3339(time, TIMESTAMP)
    checkFreshness(timestamp, input.clock)
    const presented = fromBase64(headers.required(SIGNATURE, { noComma: true }))
    const invocation = headers.optional(INVOCATION, { noComma: true })
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, time, body), [presented]),
      'zendesk',
    )
    const signed = [time, '\n', body] as const
    const id = invocation ? checkId(invocation, INVOCATION) : digestId(...signed)
    return { id, timestamp, unsignedId: signed }
  },
}
