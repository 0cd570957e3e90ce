import { randomUUID } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { digestId, fromHex, hmac } from '../crypto.js'
import type { SchemeOptions, WebhookScheme } from '../types.js'
import { signJiraJwt, verifyJiraJwt } from './jira-jwt.js'
import { anyMatch, checkId, mustMatch, prefixed, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'X-Hub-Signature'
const IDENTIFIER = 'X-Atlassian-Webhook-Identifier'

/**
 * Jira Cloud, in the mode option `mode` names:
 * - `hmac` (default), admin webhooks registered with a secret: `X-Hub-Signature:
 *   sha256=<hex HMAC-SHA256 of the body>` (WebSub style; other methods are refused). No time is
 *   signed. The id is `X-Atlassian-Webhook-Identifier` (the same on retries, not signed, so the
 *   body digest is a second replay key), else the body digest.
 * - `jwt`, Connect apps: `Authorization: JWT <HS256 token>` with the shared secret, bound to the
 *   request by its `qsh` claim; the body is not signed. Options `baseUrl` and `clientKey`;
 *   see {@link verifyJiraJwt}.
 */
// No published vector: the tests check independent node:crypto computations (HMAC and JWT).
export const jira: WebhookScheme = {
  name: 'jira',
  tolerance: null,
  sign(input) {
    if (mode(input.options) === 'jwt') return signJiraJwt(input)
    const mac = hmac('sha256', signKey(input, 'jira'), input.body)
    return { [SIGNATURE]: `sha256=${mac.toString('hex')}`, [IDENTIFIER]: input.id ?? randomUUID() }
  },
  verify(input) {
    if (mode(input.options) === 'jwt') return verifyJiraJwt(input)
    const keys = verifyKeys(input, 'jira')
    const { headers, body } = input
    const signature = prefixed(headers.required(SIGNATURE, { noComma: true }), SIGNATURE, 'sha256')
    const identifier = headers.optional(IDENTIFIER, { noComma: true })
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, body), [fromHex(signature)]),
      'jira',
    )
    const id = identifier ? checkId(identifier, IDENTIFIER) : digestId(body)
    return { id, timestamp: null, unsignedId: [body] }
  },
}

function mode(options: SchemeOptions): 'hmac' | 'jwt' {
  const value = options.mode ?? 'hmac'
  if (value !== 'hmac' && value !== 'jwt') {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'options.mode is "hmac" or "jwt"')
  }
  return value
}
