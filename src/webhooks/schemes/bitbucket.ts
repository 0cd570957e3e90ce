import { randomUUID } from 'node:crypto'
import { digestId, fromHex, hmac } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { anyMatch, checkId, mustMatch, prefixed, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'X-Hub-Signature'

/**
 * Bitbucket (Cloud and Data Center): `X-Hub-Signature: sha256=<hex HMAC-SHA256 of the body>`.
 * The id is `X-Request-UUID` (Cloud) or `X-Request-Id` (Data Center), else a body digest;
 * neither is signed, so the body digest is always a second replay key. No timestamp.
 */
export const bitbucket: WebhookScheme = {
  name: 'bitbucket',
  tolerance: null,
  sign(input) {
    const mac = hmac('sha256', signKey(input, 'bitbucket'), input.body)
    return {
      [SIGNATURE]: `sha256=${mac.toString('hex')}`,
      'X-Request-UUID': input.id ?? randomUUID(),
    }
  },
  verify(input) {
    const keys = verifyKeys(input, 'bitbucket')
    const { headers, body } = input
    const signature = prefixed(headers.required(SIGNATURE, { noComma: true }), SIGNATURE, 'sha256')
    const uuid = headers.optional('X-Request-UUID', { noComma: true })
    const requestId = uuid || headers.optional('X-Request-Id', { noComma: true })
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, body), [fromHex(signature)]),
      'bitbucket',
    )
    const id = requestId ? checkId(requestId, 'X-Request-UUID') : digestId(body)
    return { id, timestamp: null, unsignedId: [body] }
  },
}
