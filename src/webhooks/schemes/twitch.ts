import { randomUUID } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { fromHex, hmac } from '../crypto.js'
import { checkFreshness } from '../timestamp.js'
import type { SchemeOptions, WebhookScheme } from '../types.js'
import { jsonObject } from './body-id.js'
import { formatRfc3339, parseRfc3339 } from './rfc3339.js'
import { anyMatch, checkId, mustMatch, prefixed, signKey, verifyKeys } from './shared.js'

const ID = 'Twitch-Eventsub-Message-Id'
const TIMESTAMP = 'Twitch-Eventsub-Message-Timestamp'
const SIGNATURE = 'Twitch-Eventsub-Message-Signature'
const TYPE = 'Twitch-Eventsub-Message-Type'
const VERIFICATION = 'webhook_callback_verification'
const TYPES = ['notification', VERIFICATION, 'revocation']

/**
 * Twitch EventSub (webhook transport): `Twitch-Eventsub-Message-Signature: sha256=<hex>`, the
 * HMAC-SHA256 of `message id + timestamp + body` with the subscription's secret;
 * `Twitch-Eventsub-Message-Timestamp` is RFC 3339 (10 minutes, both ways) and
 * `Twitch-Eventsub-Message-Id` the signed replay id. A signed `webhook_callback_verification`
 * message is answered by {@link twitch.challenge} with its `challenge`, as text/plain.
 * Option `messageType` (signing only): the `Twitch-Eventsub-Message-Type` sent, default
 * `notification`.
 */
// Vector: twitch4j eventsub-common EventSubVerifierTest.java (Twitch publishes none).
export const twitch: WebhookScheme = {
  name: 'twitch',
  tolerance: 600,
  sign(input) {
    const id = input.id ?? randomUUID()
    const time = formatRfc3339(input.timestamp)
    const mac = hmac('sha256', signKey(input, 'twitch'), id, time, input.body)
    return {
      [ID]: id,
      [TIMESTAMP]: time,
      [SIGNATURE]: `sha256=${mac.toString('hex')}`,
      [TYPE]: messageType(input.options),
    }
  },
  verify(input) {
    const keys = verifyKeys(input, 'twitch')
    const { headers, body } = input
    const id = checkId(headers.required(ID, { noComma: true }), ID)
    const time = headers.required(TIMESTAMP, { noComma: true })
    const timestamp = parseRfc3339(time, TIMESTAMP)
    checkFreshness(timestamp, input.clock)
    const signature = prefixed(headers.required(SIGNATURE, { noComma: true }), SIGNATURE, 'sha256')
    const expected = (key: Uint8Array): Buffer => hmac('sha256', key, id, time, body)
    mustMatch(anyMatch(keys, expected, [fromHex(signature)]), 'twitch')
    return { id, timestamp }
  },
  async challenge(input) {
    if (input.headers.optional(TYPE, { noComma: true }) !== VERIFICATION) return null
    await twitch.verify(input)
    const challenge = jsonObject(input.body)?.challenge
    if (typeof challenge !== 'string' || challenge === '' || challenge.length > 1024) {
      throw new ZhError('ZH_WEBHOOK_BODY_INVALID', `${VERIFICATION} without a challenge`)
    }
    return { status: 200, headers: { 'Content-Type': 'text/plain' }, body: challenge }
  },
}

function messageType(options: SchemeOptions): string {
  const type = options.messageType ?? 'notification'
  if (typeof type !== 'string' || !TYPES.includes(type)) {
    throw new ZhError(
      'ZH_WEBHOOK_OPTIONS_INVALID',
      `options.messageType is one of ${TYPES.join(', ')}`,
    )
  }
  return type
}
