import { ZhError } from '../../errors.js'
import { digestId, fromHex, hmac } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { anyMatch, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'X-Hook-Signature'
const SECRET = 'X-Hook-Secret'
const SECRET_VALUE = /^[\x21-\x7e]{1,256}$/

/**
 * Asana: `X-Hook-Signature: <hex HMAC-SHA256 of the body>` keyed with the secret Asana handed
 * over in the webhook's handshake. No time and no id are sent: the replay id is a digest of the
 * body. The handshake (a POST carrying `X-Hook-Secret`, sent while your `POST /webhooks` call is
 * in flight) is answered by {@link asana.challenge}: 200 with the same `X-Hook-Secret`, and the
 * secret as `learnedSecret`, to store and pass as the secret from then on.
 *
 * Trust on first use: the handshake is not authenticated, so anyone who can reach the endpoint
 * can hand over a secret of their own. Store `learnedSecret` only while your own create-webhook
 * call is in flight, never replace a stored secret outside one, and set option
 * `handshake: false` once the webhook exists: handshakes are then not answered (they fall through
 * to verification, which refuses them for want of a signature).
 */
// No published vector: the test checks an independent node:crypto computation.
export const asana: WebhookScheme = {
  name: 'asana',
  tolerance: null,
  sign(input) {
    return { [SIGNATURE]: hmac('sha256', signKey(input, 'asana'), input.body).toString('hex') }
  },
  verify(input) {
    const keys = verifyKeys(input, 'asana')
    const presented = fromHex(input.headers.required(SIGNATURE, { noComma: true }))
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, input.body), [presented]),
      'asana',
    )
    return { id: digestId(input.body), timestamp: null }
  },
  challenge(input) {
    const handshake = input.options.handshake ?? true
    if (typeof handshake !== 'boolean') {
      throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'options.handshake is true or false')
    }
    const secret = input.headers.optional(SECRET, { noComma: true })
    if (secret === undefined || !handshake) return null
    if (!SECRET_VALUE.test(secret)) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', SECRET)
    return { status: 200, headers: { [SECRET]: secret }, body: '', learnedSecret: secret }
  },
}
