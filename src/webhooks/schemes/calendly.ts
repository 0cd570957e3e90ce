import { digestId, fromHex, hmac } from '../crypto.js'
import { checkFreshness, parseSeconds } from '../timestamp.js'
import type { WebhookScheme } from '../types.js'
import { parseTimedHeader } from './mux.js'
import { anyMatch, mustMatch, signKey, verifyKeys } from './shared.js'

const HEADER = 'Calendly-Webhook-Signature'

/**
 * Calendly: `Calendly-Webhook-Signature: t=<seconds>,v1=<hex>`, v1 the HMAC-SHA256 of `t.body`
 * keyed with the webhook signing key (chosen at subscription, or the OAuth app's). 3 minutes of
 * tolerance, as Calendly's documented verification uses. The payload carries no event id, so
 * the id is a digest of the signed parts.
 */
// Vector: Calendly publishes none; the test cross-checks against node:crypto.
export const calendly: WebhookScheme = {
  name: 'calendly',
  tolerance: 180,
  sign(input) {
    const t = String(input.timestamp)
    const mac = hmac('sha256', signKey(input, 'calendly'), t, '.', input.body)
    return { [HEADER]: `t=${t},v1=${mac.toString('hex')}` }
  },
  verify(input) {
    const keys = verifyKeys(input, 'calendly')
    const { t, v1 } = parseTimedHeader(input.headers.required(HEADER), HEADER)
    const timestamp = parseSeconds(t, `${HEADER} t`)
    checkFreshness(timestamp, input.clock)
    const expected = (key: Uint8Array): Buffer => hmac('sha256', key, t, '.', input.body)
    mustMatch(anyMatch(keys, expected, v1.map(fromHex)), 'calendly')
    return { id: digestId(t, '.', input.body), timestamp }
  },
}
