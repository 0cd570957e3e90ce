import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

const A = 'vercel-webhook-secret-1'

runCompliance({
  scheme: 'vercel',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: 'vercel-webhook-secret-2' }, verify: { secret: 'vercel-webhook-secret-2' } },
  ],
  body: ({ ts, id, filler }) =>
    JSON.stringify({
      id,
      type: 'deployment.succeeded',
      createdAt: ts * 1000,
      payload: { deployment: { id: 'dpl_1' }, filler },
    }),
  signatureHeader: 'x-vercel-signature',
  idInBody: true,
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('vercel specifics', () => {
  // No published vector: an independent node:crypto computation over the raw body.
  const body = Buffer.from('{"id":"evt_vercel_1","type":"deployment.created"}')
  const verify = (signature: string) =>
    verifyWebhook({
      scheme: 'vercel',
      secret: A,
      headers: { 'x-vercel-signature': signature },
      body,
    })

  it('matches an independent HMAC-SHA1, and refuses a SHA-256 one', async () => {
    const sha1 = createHmac('sha1', A).update(body).digest('hex')
    await expect(verify(sha1)).resolves.toMatchObject({ id: 'evt_vercel_1' })
    const sha256 = createHmac('sha256', A).update(body).digest('hex')
    await expectCode(verify(sha256), 'ZH_WEBHOOK_SIGNATURE_INVALID')
  })
})
