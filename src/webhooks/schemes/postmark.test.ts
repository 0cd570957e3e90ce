import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

runCompliance({
  scheme: 'postmark',
  materials: [
    {
      sign: { secret: 'postmark:s3cret-password' },
      verify: { secret: 'postmark:s3cret-password' },
    },
    { sign: { secret: 'postmark:rotated:pass' }, verify: { secret: 'postmark:rotated:pass' } },
  ],
  body: ({ id, filler }) =>
    JSON.stringify({ RecordType: 'Delivery', MessageID: id, Details: filler }),
  signatureHeader: 'Authorization',
  bodyUnsigned: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('postmark specifics', () => {
  const body = Buffer.from('{"RecordType":"Bounce"}')
  const verify = (authorization: string, secret = 'user:pass') =>
    verifyWebhook({ scheme: 'postmark', secret, headers: { authorization }, body })

  it('sends and compares RFC 7617 basic credentials', async () => {
    const encoded = Buffer.from('user:pass').toString('base64')
    expect(signWebhook({ scheme: 'postmark', secret: 'user:pass', body })).toEqual({
      Authorization: `Basic ${encoded}`,
    })
    await expect(verify(`basic ${encoded}`)).resolves.toMatchObject({ timestamp: null })
    await expectCode(
      verify(`Basic ${Buffer.from('user:pas').toString('base64')}`),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
    await expectCode(verify('Basic not*base64'), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(verify(`Bearer ${encoded}`), 'ZH_WEBHOOK_HEADER_MALFORMED')
  })

  it('refuses a secret that is not user:password', async () => {
    await expectCode(verify('Basic dXNlcjpwYXNz', 'just-a-password'), 'ZH_WEBHOOK_SECRET_INVALID')
  })
})
