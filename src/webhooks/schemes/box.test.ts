import { describe, expect, it } from 'vitest'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

runCompliance({
  scheme: 'box',
  materials: [
    { sign: { secret: 'SamplePrimaryKey' }, verify: { secret: 'SamplePrimaryKey' } },
    { sign: { secret: 'SampleSecondaryKey' }, verify: { secret: 'SampleSecondaryKey' } },
  ],
  signatureHeader: 'Box-Signature-Primary',
  timestampHeader: 'Box-Delivery-Timestamp',
  idHeader: 'Box-Delivery-Id',
  idSigned: false,
  multiSign: true,
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('box specifics', () => {
  // box/box-node-sdk tests/lib/managers/webhooks-test.js, validateMessage().
  const body = Buffer.from(
    '{"type":"webhook_event","webhook":{"id":"1234567890"},"trigger":"FILE.UPLOADED","source":{"id":"1234567890","type":"file","name":"Test.txt"}}',
  )
  const headers = {
    'box-delivery-id': 'f96bb54b-ee16-4fc5-aa65-8c2d9e5b546f',
    'box-delivery-timestamp': '2020-01-01T00:00:00-07:00',
    'box-signature-algorithm': 'HmacSHA256',
    'box-signature-primary': '6TfeAW3A1PASkgboxxA5yqHNKOwFyMWuEXny/FPD5hI=',
    'box-signature-secondary': 'v+1CD1Jdo3muIcbpv5lxxgPglOqMfsNHPV899xWYydo=',
    'box-signature-version': '1',
  }
  const now = Date.UTC(2020, 0, 1, 7) / 1000
  const verify = (secrets: string[], more: Record<string, string> = {}, at = now) =>
    verifyWebhook({ scheme: 'box', secrets, headers: { ...headers, ...more }, body, now: at })

  it('verifies the SDK vector with either key, the offset applied', async () => {
    await expect(verify(['SamplePrimaryKey', 'SampleSecondaryKey'])).resolves.toMatchObject({
      id: 'f96bb54b-ee16-4fc5-aa65-8c2d9e5b546f',
      timestamp: now,
    })
    await expect(verify(['SamplePrimaryKey', 'IncorrectKey'])).resolves.toBeTruthy()
    await expect(verify(['IncorrectKey', 'SampleSecondaryKey'])).resolves.toBeTruthy()
    await expectCode(verify(['IncorrectKey']), 'ZH_WEBHOOK_SIGNATURE_INVALID')
  })

  it('refuses the vector 15 minutes later, and other versions or algorithms', async () => {
    await expectCode(verify(['SamplePrimaryKey'], {}, now + 15 * 60), 'ZH_WEBHOOK_TIMESTAMP_STALE')
    await expect(verify(['SamplePrimaryKey'], {}, now + 10 * 60)).resolves.toBeTruthy()
    await expectCode(
      verify(['SamplePrimaryKey'], { 'box-signature-version': '2' }),
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
    )
    await expectCode(
      verify(['SamplePrimaryKey'], { 'box-signature-algorithm': 'XXX' }),
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
    )
  })
})
