import { fromHex, hmac } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { bodyId } from './body-id.js'
import { anyMatch, mustMatch, prefixed, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'X-Hub-Signature'

/**
 * Intercom: `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>` keyed with the app's client
 * secret. No time is signed. The id is the notification's `id` (`notif_...`, in the signed
 * body), else a body digest. The challenge answers the HEAD request Intercom sends to check an
 * endpoint URL when it is saved (unsigned, so it is only acknowledged).
 */
// Vector: Intercom's documented example omits its secret, so none is usable; the test cross-checks against node:crypto.
export const intercom: WebhookScheme = {
  name: 'intercom',
  tolerance: null,
  sign(input) {
    const mac = hmac('sha1', signKey(input, 'intercom'), input.body)
    return { [SIGNATURE]: `sha1=${mac.toString('hex')}` }
  },
  verify(input) {
    const keys = verifyKeys(input, 'intercom')
    const header = input.headers.required(SIGNATURE, { noComma: true })
    const presented = fromHex(prefixed(header, SIGNATURE, 'sha1'))
    mustMatch(
      anyMatch(keys, (key) => hmac('sha1', key, input.body), [presented]),
      'intercom',
    )
    return { id: bodyId(input.body, 'id', [input.body]), timestamp: null }
  },
  challenge(input) {
    return input.method === 'HEAD' ? { status: 200, headers: {}, body: '' } : null
  },
}
