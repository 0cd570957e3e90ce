import { ZhError } from '../../errors.js'
import { secretEqual } from '../crypto.js'
import { hmacKey } from '../keys.js'
import type { SchemeOptions, SchemeVerifyInput, WebhookScheme } from '../types.js'
import { bodyId } from './body-id.js'
import { mustMatch } from './shared.js'

const CHALLENGE = 'X-Okta-Verification-Challenge'
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,64}$/
const CHALLENGE_VALUE = /^[\x21-\x7e]{1,512}$/

/**
 * Okta event hooks: no signature. The hook is configured with an authentication header (name
 * and value); the value is the secret, compared in constant time. The header is
 * `Authorization` unless option `header` names another. The body is not signed and no time is:
 * the id is the body's `eventId` (not signed, so the body digest is a second replay key). The
 * one-time verification `GET` with `X-Okta-Verification-Challenge` is answered by
 * {@link okta.challenge} with `{"verification": value}` (the header value is checked first when
 * Okta sends it).
 */
// No published vector: Okta signs nothing; the tests check the constant-time token comparison.
export const okta: WebhookScheme = {
  name: 'okta',
  tolerance: null,
  sign(input) {
    const [secret, ...rest] = input.secrets
    if (secret === undefined || rest.length > 0) {
      throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'okta sends one authorization header value')
    }
    return { [headerName(input.options)]: Buffer.from(hmacKey(secret)).toString('utf8') }
  },
  verify(input) {
    checkAuthorization(input, input.headers.required(headerName(input.options)))
    return {
      id: bodyId(input.body, 'eventId', [input.body]),
      timestamp: null,
      unsignedId: [input.body],
    }
  },
  challenge(input) {
    const value = input.headers.optional(CHALLENGE, { noComma: true })
    if (input.method !== 'GET' || value === undefined) return null
    if (!CHALLENGE_VALUE.test(value)) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', CHALLENGE)
    const presented = input.headers.optional(headerName(input.options))
    if (presented !== undefined && presented !== '') checkAuthorization(input, presented)
    return {
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ verification: value }),
    }
  },
}

function checkAuthorization(input: SchemeVerifyInput, presented: string): void {
  if (input.secrets.length === 0)
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'okta needs a secret')
  const tokens = input.secrets.map(hmacKey)
  mustMatch(
    tokens.some((token) => secretEqual(token, presented)),
    'okta',
  )
}

function headerName(options: SchemeOptions): string {
  const name = options.header ?? 'Authorization'
  if (typeof name !== 'string' || !HEADER_NAME.test(name)) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'options.header is not a header name')
  }
  return name
}
