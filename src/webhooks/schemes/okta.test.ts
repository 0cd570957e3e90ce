import { describe, expect, it } from 'vitest'
import { answerChallenge } from '../challenge.js'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

const A = 'okta-event-hook-secret-1'
const B = 'okta-event-hook-secret-2, with a comma'

runCompliance({
  scheme: 'okta',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  body: ({ ts, id, filler }) =>
    JSON.stringify({
      eventType: 'com.okta.event_hook',
      eventId: id,
      eventTime: new Date(ts * 1000).toISOString(),
      data: { events: [{ eventType: 'user.session.start', filler }] },
    }),
  signatureHeader: 'Authorization',
  idInBody: true,
  bodyUnsigned: true,
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
  commaJoinedCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('okta specifics', () => {
  const empty = Buffer.alloc(0)
  const challenge = (headers: Record<string, string>, method = 'GET') =>
    answerChallenge({ scheme: 'okta', secret: A, method, headers, body: empty })

  it('answers the one-time verification with JSON', async () => {
    await expect(
      challenge({ 'X-Okta-Verification-Challenge': 'Kl4Vm5zQ', Authorization: A }),
    ).resolves.toEqual({
      status: 200,
      headers: { 'Content-Type': 'application/json' },
      body: '{"verification":"Kl4Vm5zQ"}',
    })
    await expect(challenge({ 'X-Okta-Verification-Challenge': 'Kl4Vm5zQ' })).resolves.toMatchObject(
      { status: 200 },
    )
  })

  it('checks the authorization header of the verification, and answers only GET', async () => {
    const wrong = { 'X-Okta-Verification-Challenge': 'Kl4Vm5zQ', Authorization: 'guess' }
    await expectCode(challenge(wrong), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expect(challenge({ 'X-Okta-Verification-Challenge': 'x' }, 'POST')).resolves.toBeNull()
    await expect(challenge({ Authorization: A })).resolves.toBeNull()
  })

  it('reads another header with options.header', async () => {
    const body = Buffer.from('{"eventId":"evt-1"}')
    const options = { header: 'X-Okta-Hook-Secret' }
    const headers = signWebhook({ scheme: 'okta', secret: A, body, options })
    expect(headers).toEqual({ 'X-Okta-Hook-Secret': A })
    await expect(
      verifyWebhook({ scheme: 'okta', secret: A, headers, body, options }),
    ).resolves.toMatchObject({ id: 'evt-1' })
    await expectCode(
      verifyWebhook({ scheme: 'okta', secret: A, headers, body }),
      'ZH_WEBHOOK_HEADER_MISSING',
    )
    await expectCode(
      verifyWebhook({
        scheme: 'okta',
        secret: A,
        headers,
        body,
        options: { header: 'bad header' },
      }),
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
  })
})
