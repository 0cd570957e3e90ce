import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'
import { twilioBodyUrl } from './twilio.js'

const url = 'https://mycompany.com/myapp.php?foo=1&bar=2'

runCompliance({
  scheme: 'twilio',
  materials: [
    { sign: { secret: '12345' }, verify: { secret: '12345' } },
    { sign: { secret: '67890' }, verify: { secret: '67890' } },
  ],
  url,
  body: ({ id, filler }) =>
    new URLSearchParams({ CallSid: id, From: '+14158675309', Body: `hi${filler}` }).toString(),
  signatureHeader: 'X-Twilio-Signature',
  idHeader: 'I-Twilio-Idempotency-Token',
  idSigned: false,
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('twilio specifics', () => {
  it('signs a JSON body through bodySHA256 in the url', async () => {
    const body = Buffer.from('{"event":"call.completed"}')
    const jsonUrl = twilioBodyUrl('https://example.com/hook', body)
    const headers = signWebhook({ scheme: 'twilio', secret: '12345', url: jsonUrl, body })
    await expect(
      verifyWebhook({ scheme: 'twilio', secret: '12345', url: jsonUrl, headers, body }),
    ).resolves.toBeTruthy()
    await expectCode(
      verifyWebhook({
        scheme: 'twilio',
        secret: '12345',
        url: jsonUrl,
        headers,
        body: Buffer.from('{}'),
      }),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
  })

  it('accepts the url with or without the default port', async () => {
    const body = Buffer.from('Digits=1234')
    const headers = signWebhook({
      scheme: 'twilio',
      secret: '12345',
      url: 'https://example.com:443/hook',
      body,
    })
    const withPort = signWebhook({
      scheme: 'twilio',
      secret: '12345',
      url: 'https://example.com/hook',
      body,
    })
    for (const h of [headers, withPort]) {
      for (const u of ['https://example.com/hook', 'https://example.com:443/hook']) {
        await expect(
          verifyWebhook({ scheme: 'twilio', secret: '12345', url: u, headers: h, body }),
        ).resolves.toBeTruthy()
      }
    }
  })

  it('needs the url option', async () => {
    const body = Buffer.from('Digits=1234')
    const headers = signWebhook({ scheme: 'twilio', secret: '12345', url, body })
    await expectCode(
      verifyWebhook({ scheme: 'twilio', secret: '12345', headers, body }),
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
  })
})
