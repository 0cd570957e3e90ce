import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'

const TOKEN_A = 'my-gitlab-secret-token'
const TOKEN_B = 'rotated, secret token'
const SIGN_A = 'whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3Q='
const SIGN_B = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

runCompliance({
  scheme: 'gitlab',
  label: 'secret token',
  materials: [
    { sign: { secret: TOKEN_A }, verify: { secret: TOKEN_A } },
    { sign: { secret: TOKEN_B }, verify: { secret: TOKEN_B } },
  ],
  signatureHeader: 'X-Gitlab-Token',
  idHeader: 'Idempotency-Key',
  idSigned: false,
  untimed: true,
  bodyUnsigned: true,
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
  commaJoinedCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

runCompliance({
  scheme: 'gitlab',
  label: 'signing token',
  materials: [
    { sign: { secret: SIGN_A }, verify: { secret: SIGN_A } },
    { sign: { secret: SIGN_B }, verify: { secret: SIGN_B } },
  ],
  signatureHeader: 'webhook-signature',
  timestampHeader: 'webhook-timestamp',
  idHeader: 'webhook-id',
  idSigned: true,
  multiSign: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('gitlab specifics', () => {
  const body = Buffer.from('{"object_kind":"push"}')

  it('sends Idempotency-Key equal to webhook-id in signing mode', () => {
    const headers = signWebhook({
      scheme: 'gitlab',
      secret: SIGN_A,
      id: 'idem-1',
      timestamp: T0,
      body,
    })
    expect(headers['Idempotency-Key']).toBe('idem-1')
    expect(headers['webhook-id']).toBe('idem-1')
  })

  it('accepts either mode while moving from a token to a signing token', async () => {
    const secrets = [TOKEN_A, SIGN_A]
    const signed = signWebhook({ scheme: 'gitlab', secret: SIGN_A, timestamp: T0, body })
    const token = signWebhook({ scheme: 'gitlab', secret: TOKEN_A, body })
    await expect(
      verifyWebhook({ scheme: 'gitlab', secrets, headers: signed, body, now: T0 }),
    ).resolves.toBeTruthy()
    await expect(
      verifyWebhook({ scheme: 'gitlab', secrets, headers: token, body, now: T0 }),
    ).resolves.toBeTruthy()
  })

  it('compares tokens of other lengths without error', async () => {
    for (const presented of ['', 'm', `${TOKEN_A}x`, TOKEN_A.slice(0, -1)]) {
      const attempt = verifyWebhook({
        scheme: 'gitlab',
        secret: TOKEN_A,
        headers: { 'x-gitlab-token': presented },
        body,
      })
      await expectCode(
        attempt,
        presented === '' ? 'ZH_WEBHOOK_HEADER_MISSING' : 'ZH_WEBHOOK_SIGNATURE_INVALID',
      )
    }
  })
})
