import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

const url = 'https://example.com/webhooks/square'

runCompliance({
  scheme: 'square',
  materials: [
    { sign: { secret: 'Ibxx_5AKakO-3qeNVR61Dw' }, verify: { secret: 'Ibxx_5AKakO-3qeNVR61Dw' } },
    { sign: { secret: 'MCmhFRxGX82xMwg5FsaoQA' }, verify: { secret: 'MCmhFRxGX82xMwg5FsaoQA' } },
  ],
  url,
  body: ({ ts, id, filler }) =>
    JSON.stringify({
      merchant_id: 'M1',
      type: 'payment.updated',
      event_id: id,
      created_at: ts,
      data: { filler },
    }),
  signatureHeader: 'x-square-hmacsha256-signature',
  idInBody: true,
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('square specifics', () => {
  // square/square-python-sdk tests/integration/test_webhooks_helper.py.
  const body = Buffer.from(
    '{"merchant_id":"MLEFBHHSJGVHD","type":"webhooks.test_notification","event_id":"ac3ac95b-f97d-458c-a6e6-18981597e05f","created_at":"2022-07-13T20:30:59.037339943Z","data":{"type":"webhooks","id":"bc368e64-01aa-407e-b46e-3231809b1129"}}',
  )
  const signature = 'GF4YkrJgGBDZ9NIYbNXBnMzqb2HoL4RW/S6vkZ9/2N4='
  const key = 'Ibxx_5AKakO-3qeNVR61Dw'
  const vectorUrl = 'https://webhook.site/679a4f3a-dcfa-49ee-bac5-9d0edad886b9'
  const verify = (more: { url?: string; secret?: string; signature?: string; body?: Buffer }) =>
    verifyWebhook({
      scheme: 'square',
      secret: more.secret ?? key,
      url: more.url ?? vectorUrl,
      headers: { 'x-square-hmacsha256-signature': more.signature ?? signature },
      body: more.body ?? body,
    })

  it('verifies the SDK test vectors, with the event_id as id', async () => {
    await expect(verify({})).resolves.toMatchObject({ id: 'ac3ac95b-f97d-458c-a6e6-18981597e05f' })
    await expect(
      verify({
        secret: 'signature-key',
        url: 'https://webhook.site/webhooks',
        signature: 'Cxt7+aTi4rKgcA0bC4g9EHdVtLSDWdqccmL5MvihU4U=',
        body: Buffer.from('{"data":{"type":"webhooks","id":">id<"}}'),
      }),
    ).resolves.toBeTruthy()
    const signed = signWebhook({ scheme: 'square', secret: key, url: vectorUrl, body })
    expect(signed['x-square-hmacsha256-signature']).toBe(signature)
  })

  it('refuses the vector with another URL or key, and needs the URL', async () => {
    await expectCode(
      verify({ url: 'https://webhook.site/79a4f3a-dcfa-49ee-bac5-9d0edad886b9' }),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
    await expectCode(verify({ secret: 'MCmhFRxGX82xMwg5FsaoQA' }), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(
      verify({ signature: '1z2n3DEJJiUPKcPzQo1ftvbxGdw=' }),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
    await expectCode(verify({ url: '' }), 'ZH_WEBHOOK_OPTIONS_INVALID')
  })
})
