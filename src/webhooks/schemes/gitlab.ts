import { randomUUID } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { digestId, secretEqual } from '../crypto.js'
import { hmacKey } from '../keys.js'
import type { Secret, WebhookScheme } from '../types.js'
import { checkId, mustMatch } from './shared.js'
import { signStandard, verifyStandard } from './standard.js'

const TOKEN = 'X-Gitlab-Token'
const IDEMPOTENCY = 'Idempotency-Key'
const EVENT_UUID = 'X-Gitlab-Event-UUID'

const isSigningToken = (secret: Secret): secret is string =>
  typeof secret === 'string' && secret.startsWith('whsec_')

/**
 * GitLab, in either of its modes, chosen by the configured secret:
 * - a signing token (`whsec_...`): Standard Webhooks headers (`webhook-id`, equal to
 *   `Idempotency-Key`, `webhook-timestamp`, `webhook-signature: v1,...`), verified as `standard`;
 * - any other string: the secret token, compared in constant time with `X-Gitlab-Token`. That
 *   token authenticates the sender but signs nothing: the id (`Idempotency-Key`, else
 *   `X-Gitlab-Event-UUID`) can be changed, so the body digest is a second replay key.
 */
export const gitlab: WebhookScheme = {
  name: 'gitlab',
  tolerance: 300,
  sign(input) {
    const signing = input.secrets.filter(isSigningToken)
    if (signing.length > 0 && signing.length === input.secrets.length) {
      const headers = signStandard({ ...input, keys: [] }, 'webhook')
      headers[IDEMPOTENCY] = headers['webhook-id']!
      return headers
    }
    const [token, ...rest] = input.secrets
    if (token === undefined || rest.length > 0 || signing.length > 0) {
      throw new ZhError(
        'ZH_WEBHOOK_OPTIONS_INVALID',
        'gitlab sends one secret token, or whsec_ signing tokens',
      )
    }
    const text = Buffer.from(hmacKey(token)).toString('utf8')
    return { [TOKEN]: text, [IDEMPOTENCY]: input.id ?? randomUUID() }
  },
  verify(input) {
    const signing = input.secrets.filter(isSigningToken)
    const tokens = input.secrets.filter((secret) => !isSigningToken(secret)).map(hmacKey)
    if (signing.length > 0 && (tokens.length === 0 || input.headers.has('webhook-signature'))) {
      return verifyStandard({ ...input, secrets: signing, publicKeys: [] }, 'webhook')
    }
    if (tokens.length === 0)
      throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'gitlab needs a secret')
    const { headers, body } = input
    const presented = headers.required(TOKEN)
    mustMatch(
      tokens.some((token) => secretEqual(token, presented)),
      'gitlab',
    )
    const delivery =
      headers.optional(IDEMPOTENCY, { noComma: true }) ||
      headers.optional(EVENT_UUID, { noComma: true })
    const id = delivery ? checkId(delivery, IDEMPOTENCY) : digestId(body)
    return { id, timestamp: null, unsignedId: [body] }
  },
}
