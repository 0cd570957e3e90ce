import { createV0Scheme } from './v0.js'

/**
 * Frame.io: `X-Frameio-Signature: v0=<hex>`, the HMAC-SHA256 of `v0:<timestamp>:<body>` keyed
 * with the webhook's signing secret, and `X-Frameio-Request-Timestamp` in Unix seconds, checked
 * within 5 minutes. The payload carries no event id, so the id is a digest of the signed parts.
 */
// Vector: Frame.io publishes none; the test cross-checks against node:crypto.
export const frameio = createV0Scheme(
  'frameio',
  'X-Frameio-Signature',
  'X-Frameio-Request-Timestamp',
)
