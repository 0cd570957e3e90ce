import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

const A = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'
const B = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

runCompliance({
  scheme: 'clerk',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  body: ({ ts, id, filler }) =>
    JSON.stringify({ type: 'user.created', object: 'event', timestamp: ts, data: { id, filler } }),
  signatureHeader: 'svix-signature',
  timestampHeader: 'svix-timestamp',
  idHeader: 'svix-id',
  idSigned: true,
  multiSign: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

// Svix's documented example (docs.svix.com/receiving/verifying-payloads/how); Clerk sends via Svix.
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  body: Buffer.from('{"test": 2432232314}'),
}

describe('clerk published vector', () => {
  it('verifies and reproduces the Svix example', async () => {
    const headers = {
      'svix-id': vector.id,
      'svix-timestamp': String(vector.timestamp),
      'svix-signature': vector.signature,
    }
    const verified = verifyWebhook({
      scheme: 'clerk',
      secret: vector.secret,
      headers,
      body: vector.body,
      now: vector.timestamp,
    })
    await expect(verified).resolves.toMatchObject({ id: vector.id, timestamp: vector.timestamp })
    const { secret, id, timestamp, body } = vector
    const signed = signWebhook({ scheme: 'clerk', secret, id, timestamp, body })
    expect(signed).toEqual(headers)
  })

  it('reads svix-* headers, not the white-labelled webhook-* ones', async () => {
    const headers = {
      'webhook-id': vector.id,
      'webhook-timestamp': String(vector.timestamp),
      'webhook-signature': vector.signature,
    }
    await expectCode(
      verifyWebhook({
        scheme: 'clerk',
        secret: vector.secret,
        headers,
        body: vector.body,
        now: vector.timestamp,
      }),
      'ZH_WEBHOOK_HEADER_MISSING',
    )
  })
})
