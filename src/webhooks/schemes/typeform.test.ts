import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

const A = 'c0ffee0ddba11typeform'

runCompliance({
  scheme: 'typeform',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: 'typeform-secret-2' }, verify: { secret: 'typeform-secret-2' } },
  ],
  body: ({ id, filler }) =>
    JSON.stringify({
      event_id: id,
      event_type: 'form_response',
      form_response: { form_id: 'lT4Z3j', token: 'a3a12ec6', answers: [], filler },
    }),
  signatureHeader: 'Typeform-Signature',
  idInBody: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('typeform specifics', () => {
  // No published vector: an independent node:crypto computation over the raw body.
  const body = Buffer.from('{"event_id":"01HXYZ","event_type":"form_response"}')
  const mac = createHmac('sha256', A).update(body).digest('base64')
  const verify = (signature: string) =>
    verifyWebhook({
      scheme: 'typeform',
      secret: A,
      headers: { 'typeform-signature': signature },
      body,
    })

  it('matches an independent computation, base64 not hex', async () => {
    await expect(verify(`sha256=${mac}`)).resolves.toMatchObject({ id: '01HXYZ' })
    const hex = createHmac('sha256', A).update(body).digest('hex')
    await expectCode(verify(`sha256=${hex}`), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(verify(`sha1=${mac}`), 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED')
  })
})
