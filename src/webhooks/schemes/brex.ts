import { ZhError } from '../../errors.js'
import { fromBase64 } from '../crypto.js'
import type { Secret, WebhookScheme } from '../types.js'
import { createStandardScheme } from './standard.js'

const standard = createStandardScheme('brex', 'webhook')

/**
 * Brex: Standard Webhooks with `Webhook-Id`, `Webhook-Timestamp` (Unix seconds) and
 * `Webhook-Signature` headers. Each space-separated `v1,<base64>` entry is the HMAC-SHA256 of
 * `id.timestamp.body`; during a key rotation two entries arrive, one per secret listed by
 * `GET /v1/webhooks/secrets`. Brex hands out the secret as bare base64 (the HMAC key is its
 * decoding); a `whsec_` spelling is accepted too. 5 minutes of tolerance; the id is the signed
 * `Webhook-Id`.
 */
// Vector: Brex publishes none; the test uses Svix's documented example (docs.svix.com/receiving/verifying-payloads/how) with Brex's header names and bare secret.
export const brex: WebhookScheme = {
  ...standard,
  sign: (input) => standard.sign({ ...input, secrets: input.secrets.map(brexKey) }),
  verify: (input) => standard.verify({ ...input, secrets: input.secrets.map(brexKey) }),
}

// The standard scheme reads a string as `whsec_...` and bytes as the key itself.
function brexKey(secret: Secret): Secret {
  if (typeof secret !== 'string' || secret.startsWith('whsec_')) return secret
  const key = fromBase64(secret)
  if (!key || key.length < 16) {
    throw new ZhError(
      'ZH_WEBHOOK_SECRET_INVALID',
      'a Brex webhook secret is base64 of 16 or more bytes',
    )
  }
  return key
}
