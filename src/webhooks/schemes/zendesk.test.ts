import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

const A = 'dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=='
const B = 'HRkRd4BeOAoUkfZr-mhauJT64rvBASlJRoIyPsd3zeA='

runCompliance({
  scheme: 'zendesk',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  signatureHeader: 'X-Zendesk-Webhook-Signature',
  timestampHeader: 'X-Zendesk-Webhook-Signature-Timestamp',
  idHeader: 'X-Zendesk-Webhook-Invocation-Id',
  idSigned: false,
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('zendesk specifics', () => {
  const body = Buffer.from('{"say": "hello"}')
  const time = '2021-07-25T10:00:00Z'
  const now = Date.UTC(2021, 6, 25, 10) / 1000
  const verify = (signature: string) =>
    verifyWebhook({
      scheme: 'zendesk',
      secret: B,
      headers: {
        'x-zendesk-webhook-signature': signature,
        'x-zendesk-webhook-signature-timestamp': time,
      },
      body,
      now,
    })

  it('verifies base64(HMAC-SHA256(timestamp + body)), computed independently', async () => {
    const mac = createHmac('sha256', B).update(time).update(body).digest('base64')
    const result = await verify(mac)
    expect(result.timestamp).toBe(now)
    expect(result.id).toMatch(/^sha256:/)
  })

  it('refuses body + timestamp, the order of the example an older Zendesk page published', async () => {
    // That page's example (secret B, this body and time) signs body + timestamp; the current
    // page and Zendesk's deliveries use timestamp + body.
    await expectCode(
      verify('tRDSF7URY8BLCDlaBcQ7FHu051Zk+aAB0NKMP53teMw='),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
  })
})
