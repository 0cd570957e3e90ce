import { describe, expect, it } from 'vitest'
import { answerChallenge } from '../challenge.js'
import { signWebhook } from '../sign.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

runCompliance({
  scheme: 'slack',
  materials: [
    {
      sign: { secret: '8f742231b10e8888abcd99yyyzzz85a5' },
      verify: { secret: '8f742231b10e8888abcd99yyyzzz85a5' },
    },
    { sign: { secret: 'another-signing-secret' }, verify: { secret: 'another-signing-secret' } },
  ],
  body: ({ ts, id, filler }) =>
    `token=xyz&team_id=T1&command=%2Fdeploy&text=${id}${filler}&ts=${ts}`,
  signatureHeader: 'X-Slack-Signature',
  timestampHeader: 'X-Slack-Request-Timestamp',
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('slack url_verification', () => {
  const SECRET = '8f742231b10e8888abcd99yyyzzz85a5'
  const NOW = 1_700_000_000
  const challengeBody = JSON.stringify({
    token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl',
    challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    type: 'url_verification',
  })
  const ask = (body: string, secret = SECRET, at = NOW) =>
    answerChallenge({
      scheme: 'slack',
      secret: SECRET,
      headers: signWebhook({ scheme: 'slack', secret, timestamp: at, body }),
      body: Buffer.from(body),
      now: NOW,
    })

  it('answers a signed url_verification with its challenge, as JSON', async () => {
    const answer = await ask(challengeBody)
    expect(answer?.status).toBe(200)
    expect(answer?.headers['content-type']).toMatch(/^application\/json/)
    expect(JSON.parse(answer!.body)).toEqual({
      challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
    })
    expect(answer?.learnedSecret).toBeUndefined()
  })

  it('verifies it first: a wrong secret or a stale one is refused like an event', async () => {
    await expectCode(ask(challengeBody, 'not-the-secret'), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(ask(challengeBody, SECRET, NOW - 301), 'ZH_WEBHOOK_TIMESTAMP_STALE')
  })

  it('is null for events and commands, and refuses a url_verification without a challenge', async () => {
    expect(await ask('{"type":"event_callback","event":{"type":"app_mention"}}')).toBeNull()
    expect(await ask('token=x&text=url_verification')).toBeNull()
    await expectCode(ask('{"type":"url_verification"}'), 'ZH_WEBHOOK_BODY_INVALID')
  })
})
