import { randomUUID } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { digestId, fromBase64, hmac } from '../crypto.js'
import { checkFreshness } from '../timestamp.js'
import type { WebhookScheme } from '../types.js'
import { formatRfc3339, parseRfc3339 } from './rfc3339.js'
import { anyMatch, checkId, mustMatch, signKeys, verifyKeys } from './shared.js'

const PRIMARY = 'BOX-SIGNATURE-PRIMARY'
const SECONDARY = 'BOX-SIGNATURE-SECONDARY'
const TIMESTAMP = 'BOX-DELIVERY-TIMESTAMP'
const DELIVERY = 'BOX-DELIVERY-ID'
const VERSION = 'BOX-SIGNATURE-VERSION'
const ALGORITHM = 'BOX-SIGNATURE-ALGORITHM'

/**
 * Box (webhooks v2): `BOX-SIGNATURE-PRIMARY` and `BOX-SIGNATURE-SECONDARY`, each the base64
 * HMAC-SHA256 of `body + BOX-DELIVERY-TIMESTAMP` with the app's primary and secondary signature
 * key. The two keys exist for rotation: pass both as `secrets` (either may match either header).
 * The timestamp is RFC 3339 (10 minutes, both ways); `BOX-SIGNATURE-VERSION` must be `1` and
 * `BOX-SIGNATURE-ALGORITHM` `HmacSHA256` when present. The id is `BOX-DELIVERY-ID` (not signed,
 * so a digest of the signed parts is a second replay key), else that digest.
 */
// Vector: box/box-node-sdk tests/lib/managers/webhooks-test.js (validateMessage, also in box-python-sdk).
export const box: WebhookScheme = {
  name: 'box',
  tolerance: 600,
  sign(input) {
    const keys = signKeys(input, 'box')
    if (keys.length > 2) {
      throw new ZhError(
        'ZH_WEBHOOK_OPTIONS_INVALID',
        'box signs with a primary and a secondary key',
      )
    }
    const time = formatRfc3339(input.timestamp)
    const [primary, secondary] = keys.map((key) =>
      hmac('sha256', key, input.body, time).toString('base64'),
    )
    return {
      [DELIVERY]: input.id ?? randomUUID(),
      [TIMESTAMP]: time,
      [PRIMARY]: primary!,
      ...(secondary === undefined ? {} : { [SECONDARY]: secondary }),
      [VERSION]: '1',
      [ALGORITHM]: 'HmacSHA256',
    }
  },
  verify(input) {
    const keys = verifyKeys(input, 'box')
    const { headers, body } = input
    expectValue(headers.optional(VERSION, { noComma: true }), VERSION, '1')
    expectValue(headers.optional(ALGORITHM, { noComma: true }), ALGORITHM, 'HmacSHA256')
    const time = headers.required(TIMESTAMP, { noComma: true })
    const timestamp = parseRfc3339(time, TIMESTAMP)
    checkFreshness(timestamp, input.clock)
    const presented = [PRIMARY, SECONDARY]
      .map((name) => headers.optional(name, { noComma: true }))
      .filter((value): value is string => value !== undefined && value !== '')
    if (presented.length === 0) throw new ZhError('ZH_WEBHOOK_HEADER_MISSING', PRIMARY)
    const delivery = headers.optional(DELIVERY, { noComma: true })
    const expected = (key: Uint8Array): Buffer => hmac('sha256', key, body, time)
    mustMatch(anyMatch(keys, expected, presented.map(fromBase64)), 'box')
    const signed = [body, '\n', time] as const
    const id = delivery ? checkId(delivery, DELIVERY) : digestId(...signed)
    return { id, timestamp, unsignedId: signed }
  },
}

function expectValue(value: string | undefined, name: string, expected: string): void {
  if (value !== undefined && value !== '' && value !== expected) {
    throw new ZhError('ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED', `${name} is not ${expected}`)
  }
}
