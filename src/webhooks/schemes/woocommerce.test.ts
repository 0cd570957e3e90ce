import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { answerChallenge } from '../challenge.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

const A = 'wc-webhook-secret-1'

runCompliance({
  scheme: 'woocommerce',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: 'wc-webhook-secret-2' }, verify: { secret: 'wc-webhook-secret-2' } },
  ],
  body: ({ id, filler }) =>
    JSON.stringify({ id: 727, status: 'processing', order_key: id, meta_data: [], filler }),
  signatureHeader: 'X-WC-Webhook-Signature',
  idHeader: 'X-WC-Webhook-Delivery-ID',
  idSigned: false,
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('woocommerce specifics', () => {
  // No published vector: an independent node:crypto computation over the raw body.
  const body = Buffer.from('{"id":727,"status":"processing","total":"29.35"}')
  const mac = createHmac('sha256', A).update(body).digest('base64')

  it('matches an independent computation, base64 not hex', async () => {
    const headers = (signature: string) => ({
      'x-wc-webhook-signature': signature,
      'x-wc-webhook-delivery-id': '3c4b0fce06a6f1d1ab5c8e0d0a4b9a61',
      'x-wc-webhook-id': '12',
    })
    const verify = (signature: string) =>
      verifyWebhook({ scheme: 'woocommerce', secret: A, headers: headers(signature), body })
    await expect(verify(mac)).resolves.toMatchObject({ id: '3c4b0fce06a6f1d1ab5c8e0d0a4b9a61' })
    const hex = createHmac('sha256', A).update(body).digest('hex')
    await expectCode(verify(hex), 'ZH_WEBHOOK_SIGNATURE_INVALID')
  })

  it('acknowledges the unsigned ping sent when a webhook is saved, and nothing else', async () => {
    const challenge = (text: string, headers: Record<string, string> = {}) =>
      answerChallenge({ scheme: 'woocommerce', secret: A, headers, body: Buffer.from(text) })
    await expect(challenge('webhook_id=12')).resolves.toEqual({
      status: 200,
      headers: {},
      body: '',
    })
    await expect(challenge('webhook_id=12', { 'x-wc-webhook-signature': mac })).resolves.toBeNull()
    await expect(challenge('webhook_id=12&x=1')).resolves.toBeNull()
    await expect(challenge(body.toString())).resolves.toBeNull()
  })
})
