import { describe, it } from 'vitest'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'
import { verifyWebhook } from '../verify.js'

const A = 'pdl_ntfset_01secretone'
const B = 'pdl_ntfset_01secrettwo'

runCompliance({
  scheme: 'paddle',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  body: ({ ts, id, filler }) =>
    JSON.stringify({
      event_id: id,
      event_type: 'transaction.paid',
      occurred_at: ts,
      data: { filler },
    }),
  signatureHeader: 'Paddle-Signature',
  idInBody: true,
  multiSign: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('paddle specifics', () => {
  it('refuses a header without h1, or with two ts', async () => {
    const verify = (header: string) =>
      verifyWebhook({
        scheme: 'paddle',
        secret: A,
        headers: { 'paddle-signature': header },
        body: Buffer.from('{}'),
        now: T0,
      })
    await expectCode(verify(`ts=${T0}`), 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED')
    await expectCode(verify(`ts=${T0};ts=${T0};h1=ab`), 'ZH_WEBHOOK_HEADER_MALFORMED')
    await expectCode(verify(`h1=ab`), 'ZH_WEBHOOK_HEADER_MALFORMED')
  })
})
