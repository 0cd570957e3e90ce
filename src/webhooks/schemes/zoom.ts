import { ZhError } from '../../errors.js'
import { hmac } from '../crypto.js'
import { hmacKey } from '../keys.js'
import type { SchemeVerifyInput, Secret, WebhookScheme } from '../types.js'
import { jsonObject } from './body-id.js'
import { createV0Scheme } from './v0.js'

const v0 = createV0Scheme('zoom', 'x-zm-signature', 'x-zm-request-timestamp')
const EVENT = 'endpoint.url_validation'
const MARK = Buffer.from(EVENT)

/**
 * Zoom: `x-zm-signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">` with the app's secret
 * token, and `x-zm-request-timestamp` in Unix seconds.
 *
 * Challenge: Zoom validates an endpoint URL with a signed `endpoint.url_validation` event. It is
 * verified like any event, then answered 200 `{ plainToken, encryptedToken }`, the token's hex
 * HMAC-SHA256 with the secret token that verified it (the rotated-in one, while rotating).
 */
export const zoom: WebhookScheme = {
  ...v0,
  async challenge(input) {
    // Most events do not mention it: skip the JSON parse for them.
    if (
      !Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength).includes(MARK)
    )
      return null
    const event = jsonObject(input.body)
    if (event?.event !== EVENT) return null
    await v0.verify(input)
    const secret = input.secrets.length > 1 ? await verifyingSecret(input) : input.secrets[0]!
    return {
      status: 200,
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(validationAnswer(event, secret)),
    }
  },
}

// The first secret that verifies the message alone: the one Zoom holds.
async function verifyingSecret(input: SchemeVerifyInput): Promise<Secret> {
  for (const secret of input.secrets) {
    try {
      await v0.verify({ ...input, secrets: [secret] })
      return secret
    } catch {
      // Another secret of the rotation.
    }
  }
  return input.secrets[0]!
}

/** The answer Zoom expects to an `endpoint.url_validation` event. */
export interface ZoomUrlValidation {
  readonly plainToken: string
  readonly encryptedToken: string
}

/**
 * Answers Zoom's URL-validation challenge: for an `endpoint.url_validation` body, returns
 * `{ plainToken, encryptedToken }` (the hex HMAC-SHA256 of the plain token with the secret
 * token) to send back as JSON with status 200; null for any other event. Verify the request
 * with {@link verifyWebhook} first: Zoom signs the challenge like any event. The receiver
 * middleware, the gateway and the tunnel answer it themselves (`answerChallenge`).
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
  if (event?.event !== EVENT) return null
  return validationAnswer(event, secret)
}

function validationAnswer(event: Record<string, unknown>, secret: Secret): ZoomUrlValidation {
  const payload = event.payload
  const plainToken =
    typeof payload === 'object' && payload !== null
      ? (payload as { plainToken?: unknown }).plainToken
      : undefined
  if (typeof plainToken !== 'string' || plainToken === '' || plainToken.length > 256) {
    throw new ZhError('ZH_WEBHOOK_BODY_INVALID', `${EVENT} without a payload.plainToken`)
  }
  const encryptedToken = hmac('sha256', hmacKey(secret), plainToken).toString('hex')
  return { plainToken, encryptedToken }
}
