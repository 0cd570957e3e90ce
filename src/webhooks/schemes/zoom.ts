import { ZhError } from '../../errors.js'
import { hmac } from '../crypto.js'
import { hmacKey } from '../keys.js'
import type { Secret } from '../types.js'
import { jsonObject } from './body-id.js'
import { createV0Scheme } from './v0.js'

/**
 * Zoom: `x-zm-signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">` with the app's secret
 * token, and `x-zm-request-timestamp` in Unix seconds.
 */
export const zoom = createV0Scheme('zoom', 'x-zm-signature', 'x-zm-request-timestamp')

/** The answer Zoom expects to an `endpoint.url_validation` event. */
export interface ZoomUrlValidation {
  readonly plainToken: string
  readonly encryptedToken: string
}

/**
 * Answers Zoom's URL-validation challenge: for an `endpoint.url_validation` body, returns
 * `{ plainToken, encryptedToken }` (the hex HMAC-SHA256 of the plain token with the secret
 * token) to send back as JSON with status 200; null for any other event. Verify the request
 * with {@link verifyWebhook} first: Zoom signs the challenge like any event.
 *
 * @example
 * ```ts
 * await verifyWebhook({ scheme: 'zoom', secret, headers: req.headers, body })
 * const challenge = zoomUrlValidation(body, secret)
 * if (challenge) return res.status(200).json(challenge)
 * ```
 */
export function zoomUrlValidation(body: Uint8Array, secret: Secret): ZoomUrlValidation | null {
  if (!(body instanceof Uint8Array)) throw new ZhError('ZH_WEBHOOK_BODY_NOT_RAW')
  const event = jsonObject(body)
  if (event?.event !== 'endpoint.url_validation') return null
  const payload = event.payload
  const plainToken =
    typeof payload === 'object' && payload !== null
      ? (payload as { plainToken?: unknown }).plainToken
      : undefined
  if (typeof plainToken !== 'string' || plainToken === '' || plainToken.length > 256) {
    throw new ZhError(
      'ZH_WEBHOOK_BODY_INVALID',
      'endpoint.url_validation without a payload.plainToken',
    )
  }
  const encryptedToken = hmac('sha256', hmacKey(secret), plainToken).toString('hex')
  return { plainToken, encryptedToken }
}
