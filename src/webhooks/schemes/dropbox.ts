import { ZhError } from '../../errors.js'
import { digestId, fromHex, hmac } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { anyMatch, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'X-Dropbox-Signature'
const MAX_CHALLENGE = 1024

/**
 * Dropbox: `X-Dropbox-Signature: <hex HMAC-SHA256 of the body>` with the app secret. No time
 * and no id are sent: the replay id is a digest of the body (notifications only say "something
 * changed for these accounts", so a repeat is harmless, and is refused anyway with a store).
 * The verification request, `GET ?challenge=<value>`, is answered by {@link dropbox.challenge}
 * with the value as text/plain and `X-Content-Type-Options: nosniff`; it is not signed.
 */
// Vector: hapi-dropbox-webhooks@1.1.0 test/index.js (third party; Dropbox publishes none).
export const dropbox: WebhookScheme = {
  name: 'dropbox',
  tolerance: null,
  sign(input) {
    return { [SIGNATURE]: hmac('sha256', signKey(input, 'dropbox'), input.body).toString('hex') }
  },
  verify(input) {
    const keys = verifyKeys(input, 'dropbox')
    const presented = fromHex(input.headers.required(SIGNATURE, { noComma: true }))
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, input.body), [presented]),
      'dropbox',
    )
    return { id: digestId(input.body), timestamp: null }
  },
  challenge(input) {
    const challenge = input.query.get('challenge')
    if (input.method !== 'GET' || challenge === null) return null
    if (challenge === '' || challenge.length > MAX_CHALLENGE) {
      throw new ZhError(
        'ZH_WEBHOOK_BODY_INVALID',
        'the challenge query parameter is empty or too long',
      )
    }
    return {
      status: 200,
      headers: { 'Content-Type': 'text/plain', 'X-Content-Type-Options': 'nosniff' },
      body: challenge,
    }
  },
}
