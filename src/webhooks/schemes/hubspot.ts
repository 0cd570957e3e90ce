import { ZhError } from '../../errors.js'
import { digestId, fromBase64, hmac } from '../crypto.js'
import { checkFreshness } from '../timestamp.js'
import type { WebhookScheme } from '../types.js'
import { anyMatch, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'X-HubSpot-Signature-v3'
const TIMESTAMP = 'X-HubSpot-Request-Timestamp'
const MILLIS = /^[0-9]{1,15}$/

// HubSpot signs the URI with these percent-escapes decoded (its documented table), so both
// sides decode exactly these, and nothing else.
const DECODED = /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi

/**
 * HubSpot (signature v3): `X-HubSpot-Signature-v3: <base64 HMAC-SHA256>` with the app's client
 * secret, over `method + URI + body + timestamp`, the URI being the full URL HubSpot called
 * (the `url` option, required) with `%3A %2F %3F %40 %21 %24 %27 %28 %29 %2A %2C %3B` decoded,
 * and the timestamp `X-HubSpot-Request-Timestamp` in Unix milliseconds (5 minutes, both ways).
 * No id is sent: the replay id is a digest of the signed parts. The older v1/v2
 * `X-HubSpot-Signature` (unkeyed SHA-256, no time) is not accepted.
 */
// Vector: HubSpot/hubspot-api-python tests/spec/utils/test_signature.py (test_get_signature__v3).
export const hubspot: WebhookScheme = {
  name: 'hubspot',
  tolerance: 300,
  sign(input) {
    const uri = signedUri(input.url)
    const millis = String(input.timestamp * 1000)
    const mac = hmac('sha256', signKey(input, 'hubspot'), input.method, uri, input.body, millis)
    return { [SIGNATURE]: mac.toString('base64'), [TIMESTAMP]: millis }
  },
  verify(input) {
    const keys = verifyKeys(input, 'hubspot')
    const { headers, body, method } = input
    const uri = signedUri(input.url)
    const millis = headers.required(TIMESTAMP, { noComma: true })
    if (!MILLIS.test(millis)) {
      throw new ZhError('ZH_WEBHOOK_TIMESTAMP_INVALID', `${TIMESTAMP} is not Unix milliseconds`)
    }
    const timestamp = Math.floor(Number(millis) / 1000)
    checkFreshness(timestamp, input.clock)
    const presented = fromBase64(headers.required(SIGNATURE, { noComma: true }))
    const expected = (key: Uint8Array): Buffer => hmac('sha256', key, method, uri, body, millis)
    mustMatch(anyMatch(keys, expected, [presented]), 'hubspot')
    return { id: digestId(method, ' ', uri, '\n', millis, '\n', body), timestamp }
  },
}

function signedUri(url: string | undefined): string {
  if (typeof url !== 'string' || url === '') {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'hubspot needs the url option (the full URL)')
  }
  return url.replace(DECODED, (escape) => decodeURIComponent(escape))
}
