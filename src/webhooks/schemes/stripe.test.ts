import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'

const A = 'whsec_test_secret_one'
const B = 'whsec_test_secret_two'

runCompliance({
  scheme: 'stripe',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  signatureHeader: 'Stripe-Signature',
  idInBody: true,
  multiSign: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('stripe specifics', () => {
  const body = Buffer.from('{"id":"evt_1","object":"event"}')
  const verify = (header: string) =>
    verifyWebhook({
      scheme: 'stripe',
      secret: A,
      headers: { 'stripe-signature': header },
      body,
      now: T0,
    })

  it('ignores other schemes (v0) but needs a v1', async () => {
    const header = signWebhook({ scheme: 'stripe', secret: A, timestamp: T0, body })[
      'Stripe-Signature'
    ]!
    await expect(verify(`${header},v0=abcd`)).resolves.toMatchObject({ id: 'evt_1' })
    await expectCode(verify(`t=${T0},v0=abcd`), 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED')
  })

  it('refuses a header without t, with two t, or with the timestamp 1614265330abc', async () => {
    await expectCode(verify('v1=abcd'), 'ZH_WEBHOOK_HEADER_MALFORMED')
    await expectCode(verify(`t=${T0},t=${T0},v1=abcd`), 'ZH_WEBHOOK_HEADER_MALFORMED')
    await expectCode(verify('t=1614265330abc,v1=abcd'), 'ZH_WEBHOOK_TIMESTAMP_INVALID')
  })
})
