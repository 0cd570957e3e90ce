import { ZhError } from '../../errors.js'
import type { SchemeOptions, SchemeVerifyInput, WebhookScheme } from '../types.js'
import { jwkThumbprint, privateKeyOf } from './asymmetric-keys.js'
import { jsonObject } from './body-id.js'
import {
  compactJws,
  expectAlgorithm,
  pinnedKeys,
  protectedHeaderOf,
  requiredKeyId,
  signCompactJws,
  verifyWithAny,
} from './jws.js'
import { googleKey } from './jwks.js'
import { checkId } from './shared.js'

const AUTHORIZATION = 'Authorization'
const MESSAGE_ID = 'x-goog-pubsub-message-id'
const ISSUERS = ['https://accounts.google.com', 'accounts.google.com'] as const
const BEARER = /^Bearer +(\S+)$/i

/** Seconds Google's push tokens live (`exp` is `iat` plus this). */
const TOKEN_LIFETIME = 3600

// No published vector: Google's documented token is signed by a key no longer in its JWKS. The
// test cross-checks against tokens built with node:crypto alone and against jose.

/**
 * Google Cloud Pub/Sub push with authentication: `Authorization: Bearer <OIDC JWT>` signed RS256 by
 * Google, whose key (`kid`) comes from Google's JWKS (`GOOGLE_JWKS_URL`) through `fetchKey`, cached an hour
 * (or from `publicKey`: JWKs as JSON, PEM or KeyObjects, which skips the fetch). Checked: `iss`
 * `https://accounts.google.com` or `accounts.google.com`; `aud` equal to `options.audience`
 * (required: the subscription's audience, by default the push URL); `email` one of
 * `options.serviceAccountEmail` (required, one address or a list: any Google service account can
 * mint a token for any audience, so the audience alone proves nothing) with `email_verified`
 * true; `exp` with 60 s of skew; `iat` within the tolerance, default 3600 s (a token lives an hour
 * and Google may reuse it for several pushes).
 *
 * The token authenticates the sender but does not sign the body: anyone holding a captured token
 * can post another body until it expires. The replay id is the body's `message.messageId` (or
 * the `x-goog-pubsub-message-id` header of an unwrapped push), which is not signed either.
 * `sign` takes an RSA `key` and the same options.
 */
export const googlePubsub: WebhookScheme = {
  name: 'google-pubsub',
  tolerance: TOKEN_LIFETIME,
  sign(input) {
    const [key, ...rest] = input.keys
    if (key === undefined || rest.length > 0) {
      throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'google-pubsub signs with one RSA key')
    }
    const { audience, emails } = trust(input.options)
    const signing = privateKeyOf(key, 'rsa', 'google-pubsub')
    const claims = {
      aud: audience,
      email: emails[0],
      email_verified: true,
      exp: input.timestamp + TOKEN_LIFETIME,
      iat: input.timestamp,
      iss: ISSUERS[0],
    }
    const token = signCompactJws(
      'RS256',
      { kid: jwkThumbprint(signing), typ: 'JWT' },
      claims,
      signing,
    )
    return { [AUTHORIZATION]: `Bearer ${token}` }
  },
  async verify(input) {
    const { audience, emails } = trust(input.options)
    const bearer = BEARER.exec(input.headers.required(AUTHORIZATION, { noComma: true }))
    if (!bearer) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${AUTHORIZATION} is not Bearer`)
    const token = compactJws(bearer[1]!, AUTHORIZATION)
    const { alg, kid } = protectedHeaderOf(token, AUTHORIZATION)
    expectAlgorithm(alg, 'RS256', AUTHORIZATION)
    const checks = {
      algorithm: 'RS256' as const,
      header: AUTHORIZATION,
      clock: input.clock,
      issuer: ISSUERS,
      audience: [audience],
      skew: 60,
    }
    const keys =
      input.publicKeys.length > 0
        ? pinnedKeys(input.publicKeys, 'rsa', 'google-pubsub', kid)
        : [await googleKey(input, requiredKeyId(kid, AUTHORIZATION))]
    const verified = await verifyWithAny(token, keys, checks)
    const { email, email_verified: emailVerified } = verified.payload
    if (typeof email !== 'string' || !emails.includes(email) || emailVerified !== true) {
      throw new ZhError(
        'ZH_WEBHOOK_KEY_UNTRUSTED',
        'the token is not of options.serviceAccountEmail',
      )
    }
    return { id: messageId(input), timestamp: verified.issuedAt }
  },
}

// The audience and the service accounts a receiver trusts; both are required.
function trust(options: SchemeOptions): { audience: string; emails: readonly string[] } {
  const { audience, serviceAccountEmail } = options
  if (typeof audience !== 'string' || audience === '') {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'google-pubsub needs options.audience')
  }
  const emails =
    typeof serviceAccountEmail === 'string' ? [serviceAccountEmail] : serviceAccountEmail
  if (
    !Array.isArray(emails) ||
    emails.length === 0 ||
    emails.some((e) => typeof e !== 'string' || !e.includes('@'))
  ) {
    throw new ZhError(
      'ZH_WEBHOOK_OPTIONS_INVALID',
      'google-pubsub needs options.serviceAccountEmail (an address or a list)',
    )
  }
  return { audience, emails: emails as readonly string[] }
}

// `{ "message": { "messageId": ... }, "subscription": ... }`, or an unwrapped push's header.
function messageId(input: SchemeVerifyInput): string {
  const message = jsonObject(input.body)?.message
  const id =
    typeof message === 'object' && message !== null
      ? ((message as Record<string, unknown>).messageId ??
        (message as Record<string, unknown>).message_id)
      : undefined
  if (typeof id === 'string' && id !== '') return checkId(id, 'message.messageId')
  const header = input.headers.optional(MESSAGE_ID, { noComma: true })
  if (header) return checkId(header, MESSAGE_ID)
  throw new ZhError('ZH_WEBHOOK_BODY_INVALID', 'a Pub/Sub push without message.messageId')
}
