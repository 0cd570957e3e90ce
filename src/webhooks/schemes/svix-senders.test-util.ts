import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import type { SchemeName } from '../types.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance, type SchemeFixture } from './compliance.test-util.js'

const A = 'whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD'
const B = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

// Svix's documented example (docs.svix.com/receiving/verifying-payloads/how).
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  body: Buffer.from('{"test": 2432232314}'),
}

/**
 * The suite of a sender that delivers through Svix (`svix-*` headers, `whsec_` secrets): the
 * compliance suite with the sender's event shape, and Svix's published example, verified and
 * reproduced under the sender's scheme name.
 */
export function runSvixSender(scheme: SchemeName, body?: SchemeFixture['body']): void {
  runCompliance({
    scheme,
    materials: [
      { sign: { secret: A }, verify: { secret: A } },
      { sign: { secret: B }, verify: { secret: B } },
    ],
    ...(body ? { body } : {}),
    signatureHeader: 'svix-signature',
    timestampHeader: 'svix-timestamp',
    idHeader: 'svix-id',
    idSigned: true,
    multiSign: true,
    garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
  })

  describe(`${scheme} published vector`, () => {
    const { secret, id, timestamp } = vector
    const at = (headers: Record<string, string>) =>
      verifyWebhook({ scheme, secret, headers, body: vector.body, now: timestamp })

    it('verifies and reproduces the Svix example', async () => {
      const headers = {
        'svix-id': id,
        'svix-timestamp': String(timestamp),
        'svix-signature': vector.signature,
      }
      await expect(at(headers)).resolves.toMatchObject({ id, timestamp })
      expect(signWebhook({ scheme, secret, id, timestamp, body: vector.body })).toEqual(headers)
    })

    it('reads svix-* headers, not the white-labelled webhook-* ones', async () => {
      const headers = {
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': vector.signature,
      }
      await expectCode(at(headers), 'ZH_WEBHOOK_HEADER_MISSING')
    })
  })
}
