import { describe, expect, it } from 'vitest'
import { answerChallenge } from '../challenge.js'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'

const A = 'twitch-subscription-secret-1'
const B = 'twitch-subscription-secret-2'

runCompliance({
  scheme: 'twitch',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  signatureHeader: 'Twitch-Eventsub-Message-Signature',
  timestampHeader: 'Twitch-Eventsub-Message-Timestamp',
  idHeader: 'Twitch-Eventsub-Message-Id',
  idSigned: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('twitch specifics', () => {
  it('verifies the twitch4j test vector (RFC 3339 time with a fraction)', async () => {
    // twitch4j eventsub-common EventSubVerifierTest.validateSignature.
    const headers = {
      'Twitch-Eventsub-Message-Id': '7d4c39a4-10b3-4166-b1fb-56130d1f693b',
      'Twitch-Eventsub-Message-Timestamp': '2020-12-13T14:15:16.1718Z',
      'Twitch-Eventsub-Message-Signature':
        'sha256=2ac8d26bf60837663d8969f3cb4f22f685c8fa0a4b99d533c8bf622ed4596cc6',
    }
    const now = Date.UTC(2020, 11, 13, 14, 15, 16) / 1000
    const body = Buffer.from('{"hello":"world"}')
    await expect(
      verifyWebhook({ scheme: 'twitch', secret: 'Twitch4J', headers, body, now }),
    ).resolves.toMatchObject({ id: '7d4c39a4-10b3-4166-b1fb-56130d1f693b', timestamp: now })
    await expectCode(
      verifyWebhook({ scheme: 'twitch', secret: 's3cRe7', headers, body, now }),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
    await expectCode(
      verifyWebhook({ scheme: 'twitch', secret: 'Twitch4J', headers, body, now: now + 601 }),
      'ZH_WEBHOOK_TIMESTAMP_STALE',
    )
  })

  it('refuses a time that is not RFC 3339', async () => {
    const body = Buffer.from('{}')
    const headers = signWebhook({ scheme: 'twitch', secret: A, timestamp: T0, body })
    for (const time of [
      String(T0),
      '2023-11-14 22:13:20Z',
      '2023-02-30T00:00:00Z',
      '2023-11-14T22:13:20',
    ]) {
      const attempt = verifyWebhook({
        scheme: 'twitch',
        secret: A,
        headers: { ...headers, 'Twitch-Eventsub-Message-Timestamp': time },
        body,
        now: T0,
      })
      await expectCode(attempt, 'ZH_WEBHOOK_TIMESTAMP_INVALID')
    }
  })

  describe('webhook_callback_verification', () => {
    const body = Buffer.from(
      JSON.stringify({
        challenge: 'pogchamp-kappa-360noscope-vohiyo',
        subscription: {
          id: 'f1c2a387',
          type: 'channel.follow',
          version: '1',
          status: 'webhook_callback_verification_pending',
        },
      }),
    )
    const sign = (secret: string, messageType = 'webhook_callback_verification') =>
      signWebhook({ scheme: 'twitch', secret, timestamp: T0, body, options: { messageType } })

    it('answers a signed challenge with the challenge as text/plain', async () => {
      const answer = await answerChallenge({
        scheme: 'twitch',
        secret: A,
        headers: sign(A),
        body,
        now: T0,
      })
      expect(answer).toEqual({
        status: 200,
        headers: { 'Content-Type': 'text/plain' },
        body: 'pogchamp-kappa-360noscope-vohiyo',
      })
    })

    it('verifies the challenge first, and ignores other message types', async () => {
      await expectCode(
        answerChallenge({ scheme: 'twitch', secret: A, headers: sign(B), body, now: T0 }),
        'ZH_WEBHOOK_SIGNATURE_INVALID',
      )
      await expectCode(
        answerChallenge({ scheme: 'twitch', secret: A, headers: sign(A), body, now: T0 + 3600 }),
        'ZH_WEBHOOK_TIMESTAMP_STALE',
      )
      const notification = sign(A, 'notification')
      await expect(
        answerChallenge({ scheme: 'twitch', secret: A, headers: notification, body, now: T0 }),
      ).resolves.toBeNull()
    })

    it('refuses a signed verification message without a challenge', async () => {
      const empty = Buffer.from('{"subscription":{}}')
      const headers = signWebhook({
        scheme: 'twitch',
        secret: A,
        timestamp: T0,
        body: empty,
        options: { messageType: 'webhook_callback_verification' },
      })
      await expectCode(
        answerChallenge({ scheme: 'twitch', secret: A, headers, body: empty, now: T0 }),
        'ZH_WEBHOOK_BODY_INVALID',
      )
    })
  })
})
