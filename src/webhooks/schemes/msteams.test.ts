import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

const A = '+ZaRRMC8+mpnfGaGsBOmkIFt98bttL5YQRq3p2tXgcE='
const B = 'vqF0En+Z0ucuRTM/01o2GuhMH3hKKk/N2bOmlM31zaA='

runCompliance({
  scheme: 'msteams',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  signatureHeader: 'Authorization',
  idInBody: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('msteams specifics', () => {
  const body = Buffer.from('{"type":"message","id":"1485983408511","text":"<at>Bot</at> hi"}')

  it('keys the HMAC with the base64-decoded token, computed independently', async () => {
    const mac = createHmac('sha256', Buffer.from(A, 'base64')).update(body).digest('base64')
    await expect(
      verifyWebhook({
        scheme: 'msteams',
        secret: A,
        headers: { authorization: `HMAC ${mac}` },
        body,
      }),
    ).resolves.toMatchObject({ id: '1485983408511', timestamp: null })
    const plain = createHmac('sha256', A).update(body).digest('base64')
    await expectCode(
      verifyWebhook({
        scheme: 'msteams',
        secret: A,
        headers: { authorization: `HMAC ${plain}` },
        body,
      }),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
  })

  it('refuses a token that is not base64', async () => {
    await expectCode(
      verifyWebhook({
        scheme: 'msteams',
        secret: 'not base64!',
        headers: { authorization: 'HMAC AAAA' },
        body,
      }),
      'ZH_WEBHOOK_SECRET_INVALID',
    )
  })
})
