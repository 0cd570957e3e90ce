import { describe, expect, it } from 'vitest'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

runCompliance({
  scheme: 'coinbase',
  materials: [
    { sign: { secret: 'cc-shared-secret-1' }, verify: { secret: 'cc-shared-secret-1' } },
    { sign: { secret: 'cc-shared-secret-2' }, verify: { secret: 'cc-shared-secret-2' } },
  ],
  body: ({ id, filler }) =>
    JSON.stringify({
      id: 1,
      scheduled_for: '2017-01-31T20:50:02Z',
      attempt_number: 1,
      event: { id, type: 'charge:created', data: { code: '66BEOV2A', filler } },
    }),
  signatureHeader: 'X-CC-Webhook-Signature',
  idInBody: true,
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

// coinbase/coinbase-commerce-node, test/testWebhook.spec.js.
const secret = '30291a20-0bd1-4267-9b0f-e6e7b123c0bf'
const payload =
  '{"id":1,"scheduled_for":"2017-01-31T20:50:02Z","attempt_number":1,"event":{"id":"24934862-d980-46cb-9402-43c81b0cdba6","type":"charge:created","api_version":"2018-03-22","created_at":"2017-01-31T20:49:02Z","data":{"code":"66BEOV2A","name":"The Sovereign Individual","description":"Mastering the Transition to the Information Age","hosted_url":"https://commerce.coinbase.com/charges/66BEOV2A","created_at":"2017-01-31T20:49:02Z","expires_at":"2017-01-31T21:04:02Z","timeline":[{"time":"2017-01-31T20:49:02Z","status":"NEW"}],"metadata":{},"pricing_type":"no_price","payments":[],"addresses":{"bitcoin":"0000000000000000000000000000000000","ethereum":"0x0000000000000000000000000000000000000000","litecoin":"3000000000000000000000000000000000","bitcoincash":"bitcoincash:000000000000000000000000000000000000000000"}}}}'
const signature = '8be7742c7d372f08a6a3224edadf18a22b65fa9e28f3f2de97376cdaa092590d'

describe('coinbase published vector', () => {
  const verify = (key: string, body = payload) =>
    verifyWebhook({
      scheme: 'coinbase',
      secret: key,
      headers: { 'x-cc-webhook-signature': signature },
      body: Buffer.from(body),
    })

  it("verifies the SDK's example and takes event.id as the id", async () => {
    await expect(verify(secret)).resolves.toMatchObject({
      id: '24934862-d980-46cb-9402-43c81b0cdba6',
      timestamp: null,
    })
  })

  it("refuses the SDK's wrong secret and a changed body", async () => {
    await expectCode(verify('30291a20-0bd1-4267-9b0f-e6e7b123c0bg'), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(
      verify(secret, payload.replace('"attempt_number":1', '"attempt_number":2')),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
  })
})
