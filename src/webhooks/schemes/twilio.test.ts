import { createHmac } from 'node:crypto'
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

runCompliance({
  scheme: 'twilio',
  label: 'shared key, HMAC-SHA256',
  materials: [
    { sign: { secret: 'shared-key-secret-1' }, verify: { secret: 'shared-key-secret-1' } },
    { sign: { secret: 'shared-key-secret-2' }, verify: { secret: 'shared-key-secret-2' } },
  ],
  url,
  options: { algorithm: 'HMAC_SHA256', keyId: 'webhooks_key_1' },
  body: ({ id, filler }) =>
    new URLSearchParams({ CallSid: id, From: '+14158675309', Body: `hi${filler}` }).toString(),
  signatureHeader: 'X-Twilio-Signature',
  idHeader: 'I-Twilio-Idempotency-Token',
  idSigned: false,
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('twilio shared keys (X-Twilio-Webhooks-Signature-Settings)', () => {
  const body = Buffer.from('To=%2B15551234567&Body=hello&From=%2B15557654321')
  const secret = 'shared-key-secret'
  // Computed here with node:crypto: the URL, then the parameters sorted by name, HMAC-SHA256.
  const signature = createHmac('sha256', secret)
    .update(`${url}Body` + 'hello' + 'From+15557654321' + 'To+15551234567')
    .digest('base64')
  const headers = (algorithm: string) => ({
    'X-Twilio-Signature': signature,
    'X-Twilio-Webhooks-Signature-Settings': `key=webhooks_key_1,algorithm=${algorithm}`,
  })
  const check = (h: Record<string, string>, options = {}) =>
    verifyWebhook({ scheme: 'twilio', secret, url, headers: h, body, options })

  it('verifies an independently computed HMAC-SHA256 signature the header announces', async () => {
    await expect(check(headers('HMAC_SHA256'))).resolves.toBeTruthy()
    await expect(check(headers('HMAC_SHA256'), { algorithm: 'HMAC_SHA256' })).resolves.toBeTruthy()
    // The same bytes read as SHA-1 (the header stripped) do not verify.
    await expectCode(check({ 'X-Twilio-Signature': signature }), 'ZH_WEBHOOK_SIGNATURE_INVALID')
  })

  it('refuses a downgrade to SHA-1 when SHA-256 is required, and unknown algorithms', async () => {
    const sha1 = signWebhook({ scheme: 'twilio', secret, url, body })
    await expect(check(sha1)).resolves.toBeTruthy()
    await expectCode(
      check(sha1, { algorithm: 'HMAC_SHA256' }),
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
    )
    await expectCode(check(headers('HMAC_MD5')), 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED')
    const garbled = { ...headers('HMAC_SHA256'), 'X-Twilio-Webhooks-Signature-Settings': 'key' }
    await expectCode(check(garbled), 'ZH_WEBHOOK_HEADER_MALFORMED')
    const twice = {
      ...headers('HMAC_SHA256'),
      'X-Twilio-Webhooks-Signature-Settings': 'algorithm=HMAC_SHA1,algorithm=HMAC_SHA256',
    }
    await expectCode(check(twice), 'ZH_WEBHOOK_HEADER_MALFORMED')
    await expectCode(
      check(headers('HMAC_SHA256'), { algorithm: 'SHA3' }),
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
  })

  it('signs with the shared key and names it', () => {
    const signed = signWebhook({
      scheme: 'twilio',
      secret,
      url,
      body,
      options: { algorithm: 'HMAC_SHA256', keyId: 'webhooks_key_1' },
    })
    expect(signed['X-Twilio-Signature']).toBe(signature)
    expect(signed['X-Twilio-Webhooks-Signature-Settings']).toBe(
      'key=webhooks_key_1,algorithm=HMAC_SHA256',
    )
    expect(() =>
      signWebhook({ scheme: 'twilio', secret, url, body, options: { algorithm: 'HMAC_SHA256' } }),
    ).toThrow(/keyId/)
  })
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
