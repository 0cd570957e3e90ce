import { digestId, fromHex, hmac } from '../crypto.js'
import { checkFreshness, parseSeconds } from '../timestamp.js'
import type { SchemeName, WebhookScheme } from '../types.js'
import { anyMatch, mustMatch, prefixed, signKey, verifyKeys } from './shared.js'

/**
 * The `v0` basestring scheme shared by Slack and Zoom: `<signature header>: v0=<hex>`, the
 * HMAC-SHA256 of `v0:<timestamp>:<body>` with the signing secret, and the Unix seconds in
 * `<timestamp header>`. Neither carries a message id; the id is a digest of the signed parts.
 */
export function createV0Scheme(
  name: SchemeName,
  signature: string,
  timestamp: string,
): WebhookScheme {
  return {
    name,
    tolerance: 300,
    sign(input) {
      const ts = String(input.timestamp)
      const mac = hmac('sha256', signKey(input, name), 'v0:', ts, ':', input.body)
      return { [signature]: `v0=${mac.toString('hex')}`, [timestamp]: ts }
    },
    verify(input) {
      const keys = verifyKeys(input, name)
      const { headers, body } = input
      const ts = headers.required(timestamp, { noComma: true })
      const seconds = parseSeconds(ts, timestamp)
      checkFreshness(seconds, input.clock)
      const value = prefixed(headers.required(signature, { noComma: true }), signature, 'v0')
      const expected = (key: Uint8Array): Buffer => hmac('sha256', key, 'v0:', ts, ':', body)
      mustMatch(anyMatch(keys, expected, [fromHex(value)]), name)
      return { id: digestId(ts, ':', body), timestamp: seconds }
    },
  }
}
