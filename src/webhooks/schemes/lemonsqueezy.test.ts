import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

const A = 'lemon-signing-secret'

runCompliance({
  scheme: 'lemonsqueezy',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: 'lemon-signing-secret-2' }, verify: { secret: 'lemon-signing-secret-2' } },
  ],
  body: ({ id, filler }) =>
    JSON.stringify({
      meta: { event_name: 'order_created', custom_data: { ref: id } },
      data: { type: 'orders', id: '1', attributes: { filler } },
    }),
  signatureHeader: 'X-Signature',
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('lemonsqueezy specifics', () => {
  // No published vector: an independent node:crypto computation over the raw body.
  const body = Buffer.from('{"meta":{"event_name":"subscription_created"},"data":{"id":"7"}}')
  const verify = (signature: string) =>
    verifyWebhook({
      scheme: 'lemonsqueezy',
      secret: A,
      headers: { 'x-signature': signature },
      body,
    })

  it('matches an independent hex HMAC-SHA256, and refuses its base64 form', async () => {
    const mac = createHmac('sha256', A).update(body)
    const digest = mac.digest()
    await expect(verify(digest.toString('hex'))).resolves.toMatchObject({ timestamp: null })
    await expectCode(verify(digest.toString('base64')), 'ZH_WEBHOOK_SIGNATURE_INVALID')
  })
})
