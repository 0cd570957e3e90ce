import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'

const A = 'yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy'
const B = 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'
const url = 'https://www.example.com/webhook_uri'

runCompliance({
  scheme: 'hubspot',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  url,
  signatureHeader: 'X-HubSpot-Signature-v3',
  timestampHeader: 'X-HubSpot-Request-Timestamp',
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('hubspot specifics', () => {
  // HubSpot/hubspot-api-python tests/spec/utils/test_signature.py, test_get_signature__v3.
  const vector = {
    body: Buffer.from("{'example_field':'example_value'}"),
    millis: 15000000,
    signature: 'HPW73RUtKmcYoEDADG0s6MmGFWUzWJKAW07r8RDgcQw=',
  }

  it('verifies and reproduces the SDK test vector', async () => {
    const headers = {
      'x-hubspot-signature-v3': vector.signature,
      'x-hubspot-request-timestamp': String(vector.millis),
    }
    const now = vector.millis / 1000
    await expect(
      verifyWebhook({ scheme: 'hubspot', secret: A, url, headers, body: vector.body, now }),
    ).resolves.toMatchObject({ timestamp: now })
    const signed = signWebhook({
      scheme: 'hubspot',
      secret: A,
      url,
      timestamp: now,
      body: vector.body,
    })
    expect(signed['X-HubSpot-Signature-v3']).toBe(vector.signature)
  })

  it('signs the method and the URL', async () => {
    const body = Buffer.from('[]')
    const headers = signWebhook({ scheme: 'hubspot', secret: A, url, timestamp: T0, body })
    const verify = (more: { method?: string; url?: string }) =>
      verifyWebhook({ scheme: 'hubspot', secret: A, url, headers, body, now: T0, ...more })
    await expectCode(verify({ method: 'GET' }), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(verify({ url: `${url}?x=1` }), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(verify({ url: '' }), 'ZH_WEBHOOK_OPTIONS_INVALID')
  })

  it('decodes the documented escapes of the URI, and only those', async () => {
    const body = Buffer.from('{}')
    const raw = 'https://example.com/hook?cb=https%3A%2F%2Fa.b%2Fc%40d&q=a%20b'
    const decoded = 'https://example.com/hook?cb=https://a.b/c@d&q=a%20b'
    const mac = createHmac('sha256', A)
      .update(`POST${decoded}{}${T0 * 1000}`)
      .digest('base64')
    const headers = { 'x-hubspot-signature-v3': mac, 'x-hubspot-request-timestamp': `${T0 * 1000}` }
    await expect(
      verifyWebhook({ scheme: 'hubspot', secret: A, url: raw, headers, body, now: T0 }),
    ).resolves.toBeTruthy()
  })

  it('refuses seconds where milliseconds are due', async () => {
    const body = Buffer.from('{}')
    const headers = signWebhook({ scheme: 'hubspot', secret: A, url, timestamp: T0, body })
    headers['X-HubSpot-Request-Timestamp'] = String(T0)
    await expectCode(
      verifyWebhook({ scheme: 'hubspot', secret: A, url, headers, body, now: T0 }),
      'ZH_WEBHOOK_TIMESTAMP_STALE',
    )
  })
})
