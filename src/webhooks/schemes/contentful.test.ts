import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'

const A = 'qlfkupAwYA4ZkNnmBzmNypFqSRWOwhpGRFwQFn5iPNAGHSYdvwed1C77n0Eiaz19'
const B = 'a'.repeat(64)
const url = 'https://example.com/hooks/contentful'

runCompliance({
  scheme: 'contentful',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  url,
  signatureHeader: 'x-contentful-signature',
  timestampHeader: 'x-contentful-timestamp',
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('contentful specifics', () => {
  const body = Buffer.from('{"sys":{"id":"entry-1","type":"Entry"}}')
  const millis = String(T0 * 1000)
  const names =
    'x-contentful-crn,x-contentful-signed-headers,x-contentful-timestamp,x-contentful-topic'
  const crn = 'crn:contentful:::content:spaces/s1/environments/master/entries/entry-1'
  const topic = 'ContentManagement.Entry.publish'
  // The canonical request written out by hand: method, normalized path, signed headers, body.
  const canonical = [
    'PUT',
    '/hooks/contentful?a%253D1%2526b%253D2',
    `x-contentful-crn:${crn};x-contentful-signed-headers:${names};x-contentful-timestamp:${millis};x-contentful-topic:${topic}`,
    body.toString(),
  ].join('\n')
  const signature = createHmac('sha256', A).update(canonical).digest('hex')
  const headers = {
    'X-Contentful-Signature': signature,
    'X-Contentful-Signed-Headers': names,
    'X-Contentful-Timestamp': millis,
    'X-Contentful-CRN': crn,
    'X-Contentful-Topic': topic,
  }
  const verify = (more: Record<string, string> = {}, method = 'PUT') =>
    verifyWebhook({
      scheme: 'contentful',
      secret: A,
      url: `${url}?a=1&b=2`,
      method,
      headers: { ...headers, ...more },
      body,
      now: T0,
    })

  it('verifies an independently computed canonical request with more signed headers', async () => {
    await expect(verify()).resolves.toMatchObject({ timestamp: T0 })
  })

  it('signs the method, the signed headers and their list', async () => {
    await expectCode(verify({}, 'POST'), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(
      verify({ 'X-Contentful-Topic': 'ContentManagement.Entry.delete' }),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
    await expectCode(verify({ 'X-Contentful-Topic': '' }), 'ZH_WEBHOOK_HEADER_MISSING')
    const withoutTime = 'x-contentful-crn,x-contentful-signed-headers'
    await expectCode(
      verify({ 'X-Contentful-Signed-Headers': withoutTime }),
      'ZH_WEBHOOK_HEADER_MALFORMED',
    )
    await expectCode(
      verify({ 'X-Contentful-Signed-Headers': `${names},x-contentful-crn` }),
      'ZH_WEBHOOK_HEADER_MALFORMED',
    )
  })

  it('takes a path as the url, and needs one', async () => {
    const signed = signWebhook({ scheme: 'contentful', secret: A, url, timestamp: T0, body })
    const at = (u: string) =>
      verifyWebhook({ scheme: 'contentful', secret: A, url: u, headers: signed, body, now: T0 })
    await expect(at('/hooks/contentful')).resolves.toBeTruthy()
    await expectCode(at('/hooks/other'), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(at(''), 'ZH_WEBHOOK_OPTIONS_INVALID')
  })
})
