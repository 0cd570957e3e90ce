import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

// Brex hands out bare base64 secrets (no whsec_ prefix).
const A = 'C2FVsBQIhrscChlQIMV+b5sSYspob7oD'
const B = Buffer.from('a second brex webhook secret').toString('base64')

runCompliance({
  scheme: 'brex',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  body: ({ ts, id, filler }) =>
    JSON.stringify({ event_type: 'TRANSFER_PROCESSED', transfer_id: id, ts, filler }),
  signatureHeader: 'Webhook-Signature',
  timestampHeader: 'Webhook-Timestamp',
  idHeader: 'Webhook-Id',
  idSigned: true,
  multiSign: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

// Svix's documented example (docs.svix.com/receiving/verifying-payloads/how), in Brex's shape:
// Webhook-* headers and the secret as bare base64.
const vector = {
  secret: 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  headers: {
    'Webhook-Id': 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    'Webhook-Timestamp': '1614265330',
    'Webhook-Signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  },
  body: Buffer.from('{"test": 2432232314}'),
  now: 1614265330,
}

describe('brex specifics', () => {
  it('verifies the example with a bare base64 secret or its whsec_ spelling', async () => {
    for (const secret of [vector.secret, `whsec_${vector.secret}`]) {
      await expect(verifyWebhook({ scheme: 'brex', ...vector, secret })).resolves.toMatchObject({
        id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
        timestamp: 1614265330,
      })
    }
    const signed = signWebhook({
      scheme: 'brex',
      secret: vector.secret,
      id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestamp: 1614265330,
      body: vector.body,
    })
    expect(signed['webhook-signature']).toBe(vector.headers['Webhook-Signature'])
  })

  it('refuses a secret that is not base64 of 16 bytes or more', async () => {
    for (const secret of ['not base64!', 'c2hvcnQ=']) {
      await expectCode(
        verifyWebhook({ scheme: 'brex', ...vector, secret }),
        'ZH_WEBHOOK_SECRET_INVALID',
      )
    }
  })
})
