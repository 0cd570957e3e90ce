import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'

const A = 'sentry-client-secret-1'

runCompliance({
  scheme: 'sentry',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: 'sentry-client-secret-2' }, verify: { secret: 'sentry-client-secret-2' } },
  ],
  body: ({ id, filler }) =>
    JSON.stringify({
      action: 'created',
      installation: { uuid: id },
      data: { issue: { id: '1', filler } },
      actor: { type: 'application', id: 'sentry', name: 'Sentry' },
    }),
  signatureHeader: 'Sentry-Hook-Signature',
  idHeader: 'Request-ID',
  idSigned: false,
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('sentry specifics', () => {
  // No published vector: an independent node:crypto computation over the raw body.
  const body = Buffer.from('{"action":"created","data":{"issue":{"id":"42"}}}')
  const signature = createHmac('sha256', A).update(body).digest('hex')
  const verify = (headers: Record<string, string>) =>
    verifyWebhook({ scheme: 'sentry', secret: A, headers, body, now: T0 })

  it('matches an independent computation and ignores the unsigned timestamp', async () => {
    const requestId = '8d9fa8c2b7e94bdb9a4f4d1f1c1b0c5e'
    const headers = {
      'sentry-hook-signature': signature,
      'request-id': requestId,
      'sentry-hook-resource': 'issue',
      'sentry-hook-timestamp': '1',
    }
    await expect(verify(headers)).resolves.toMatchObject({ id: requestId, timestamp: null })
    const bare = await verify({ 'sentry-hook-signature': signature })
    expect(bare.id).toMatch(/^sha256:[0-9a-f]{64}$/)
    const flipped = signature.replace(/.$/, (c) => (c === '0' ? '1' : '0'))
    await expectCode(verify({ 'sentry-hook-signature': flipped }), 'ZH_WEBHOOK_SIGNATURE_INVALID')
  })

  it('signs the resource header when asked, and refuses a bad one', async () => {
    const signed = signWebhook({
      scheme: 'sentry',
      secret: A,
      body,
      options: { resource: 'issue' },
    })
    expect(signed).toMatchObject({
      'Sentry-Hook-Signature': signature,
      'Sentry-Hook-Resource': 'issue',
    })
    const bad = { resource: 'Issue Alert' }
    await expectCode(
      Promise.resolve().then(() =>
        signWebhook({ scheme: 'sentry', secret: A, body, options: bad }),
      ),
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
  })
})
