import { ZhError } from '../../errors.js'
import { fromBase64, hmac } from '../crypto.js'
import { hmacKey } from '../keys.js'
import type { Secret, WebhookScheme } from '../types.js'
import { bodyId } from './body-id.js'
import { anyMatch, mustMatch } from './shared.js'

const AUTHORIZATION = 'Authorization'
const HMAC_AUTH = /^HMAC ([^\s]+)$/

/**
 * Microsoft Teams outgoing webhooks: `Authorization: HMAC <base64 HMAC-SHA256 of the body>`,
 * keyed with the base64-decoded security token Teams shows when the webhook is created (pass
 * the token as given; raw bytes are used as-is). No time is signed. The id is the activity's
 * `id` in the (signed) body, else a digest of the body.
 */
// No published vector: the test checks an independent node:crypto computation.
export const msteams: WebhookScheme = {
  name: 'msteams',
  tolerance: null,
  sign(input) {
    const [secret, ...rest] = input.secrets
    if (secret === undefined || rest.length > 0) {
      throw new ZhError(
        'ZH_WEBHOOK_OPTIONS_INVALID',
        'msteams carries one signature; pass one secret',
      )
    }
    return {
      [AUTHORIZATION]: `HMAC ${hmac('sha256', tokenKey(secret), input.body).toString('base64')}`,
    }
  },
  verify(input) {
    if (input.secrets.length === 0)
      throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'msteams needs a secret')
    const keys = input.secrets.map(tokenKey)
    const header = input.headers.required(AUTHORIZATION, { noComma: true })
    const match = HMAC_AUTH.exec(header)
    if (!match)
      throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${AUTHORIZATION} is not "HMAC <base64>"`)
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, input.body), [fromBase64(match[1]!)]),
      'msteams',
    )
    return { id: bodyId(input.body, 'id', [input.body]), timestamp: null }
  },
}

function tokenKey(secret: Secret): Uint8Array {
  if (typeof secret !== 'string') return hmacKey(secret)
  const key = fromBase64(secret)
  if (!key || key.length === 0) {
    throw new ZhError('ZH_WEBHOOK_SECRET_INVALID', 'the Teams security token is base64')
  }
  return key
}
