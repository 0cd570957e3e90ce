import { describe, expect, it } from 'vitest'
import { createHmac } from 'node:crypto'
import { answerChallenge } from '../challenge.js'
import { signWebhook } from '../sign.js'
import { expectCode, runCompliance } from './compliance.test-util.js'
import { zoomUrlValidation } from './zoom.js'

const A = 'zoom-secret-token-1'

runCompliance({
  scheme: 'zoom',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: 'zoom-secret-token-2' }, verify: { secret: 'zoom-secret-token-2' } },
  ],
  signatureHeader: 'x-zm-signature',
  timestampHeader: 'x-zm-request-timestamp',
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('zoom URL validation', () => {
  it('answers endpoint.url_validation with the plain and the HMAC-ed token', () => {
    const body = Buffer.from(
      JSON.stringify({
        event: 'endpoint.url_validation',
        payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' },
        event_ts: 1654503849680,
      }),
    )
    const expected = createHmac('sha256', A).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex')
    expect(zoomUrlValidation(body, A)).toEqual({
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken: expected,
    })
  })

  it('returns null for other events and refuses a challenge without a token', async () => {
    expect(zoomUrlValidation(Buffer.from('{"event":"meeting.started"}'), A)).toBeNull()
    expect(zoomUrlValidation(Buffer.from('not json'), A)).toBeNull()
    await expectCode(
      Promise.resolve().then(() =>
        zoomUrlValidation(Buffer.from('{"event":"endpoint.url_validation","payload":{}}'), A),
      ),
      'ZH_WEBHOOK_BODY_INVALID',
    )
  })
})

describe('zoom endpoint.url_validation as a challenge', () => {
  const NOW = 1_700_000_000
  const B = 'zoom-secret-token-2'
  const body = JSON.stringify({
    event: 'endpoint.url_validation',
    payload: { plainToken: 'qgg8vlvZRS6UYooatFL8Aw' },
    event_ts: 1654503849680,
  })
  const ask = (text: string, signer: string, secrets: string[], at = NOW) =>
    answerChallenge({
      scheme: 'zoom',
      secrets,
      headers: signWebhook({ scheme: 'zoom', secret: signer, timestamp: at, body: text }),
      body: Buffer.from(text),
      now: NOW,
    })
  const encrypted = (secret: string) =>
    createHmac('sha256', secret).update('qgg8vlvZRS6UYooatFL8Aw').digest('hex')

  it('verifies it, then answers with the token HMAC-ed by the secret that verified it', async () => {
    const answer = await ask(body, A, [A])
    expect(answer?.status).toBe(200)
    expect(JSON.parse(answer!.body)).toEqual({
      plainToken: 'qgg8vlvZRS6UYooatFL8Aw',
      encryptedToken: encrypted(A),
    })
    // While rotating, Zoom holds one of the two: answer with that one.
    const rotated = await ask(body, B, [A, B])
    expect(JSON.parse(rotated!.body)).toMatchObject({ encryptedToken: encrypted(B) })
  })

  it('refuses an unsigned or stale validation, and is null for other events', async () => {
    await expectCode(ask(body, 'another-token', [A]), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(ask(body, A, [A], NOW - 400), 'ZH_WEBHOOK_TIMESTAMP_STALE')
    expect(await ask('{"event":"meeting.started","payload":{}}', A, [A])).toBeNull()
    await expectCode(
      ask('{"event":"endpoint.url_validation","payload":{}}', A, [A]),
      'ZH_WEBHOOK_BODY_INVALID',
    )
  })
})
