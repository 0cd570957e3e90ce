import { ZhError } from '../../errors.js'
import type { ChallengeAnswer, WebhookScheme } from '../types.js'
import { jsonObject } from './body-id.js'
import { createV0Scheme } from './v0.js'

const v0 = createV0Scheme('slack', 'X-Slack-Signature', 'X-Slack-Request-Timestamp')
const MARK = Buffer.from('url_verification')

/**
 * Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">` with the app's
 * signing secret, and `X-Slack-Request-Timestamp` in Unix seconds (5 minutes tolerance).
 *
 * Challenge: the Events API checks a Request URL with a signed `{"type":"url_verification",
 * "challenge":"..."}` POST. It is verified like any event, then answered 200
 * `{"challenge":"..."}`; it is never handed on.
 */
export const slack: WebhookScheme = {
  ...v0,
  async challenge(input) {
    // Most events do not mention it: skip the JSON parse for them.
    if (
      !Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength).includes(MARK)
    )
      return null
    const event = jsonObject(input.body)
    if (event?.type !== 'url_verification') return null
    await v0.verify(input)
    const challenge = event.challenge
    if (typeof challenge !== 'string' || challenge === '' || challenge.length > 256) {
      throw new ZhError('ZH_WEBHOOK_BODY_INVALID', 'url_verification without a challenge')
    }
    return jsonAnswer({ challenge })
  },
}

function jsonAnswer(body: object): ChallengeAnswer {
  return {
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  }
}
