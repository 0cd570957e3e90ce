import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

runCompliance({
  scheme: 'mux',
  materials: [
    { sign: { secret: 'mux-signing-secret-1' }, verify: { secret: 'mux-signing-secret-1' } },
    { sign: { secret: 'mux-signing-secret-2' }, verify: { secret: 'mux-signing-secret-2' } },
  ],
  body: ({ ts, id, filler }) =>
    JSON.stringify({ id, type: 'video.asset.ready', created_at: ts, data: { filler } }),
  signatureHeader: 'Mux-Signature',
  idInBody: true,
  multiSign: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

// muxinc/mux-node-sdk, tests/api-resources/webhooks.test.ts.
const secret = 'SuperSecret123'
const timestamp = 1565125718
const hash = '854ece4c22acef7c66b57d4e504153bc512595e8e9c772ece2a68150548c19a7'
const body = Buffer.from('{"test":"body"}')

const verify = (header: string, now = timestamp) =>
  verifyWebhook({ scheme: 'mux', secret, headers: { 'mux-signature': header }, body, now })

describe('mux published vector', () => {
  it("verifies and reproduces the SDK's example", async () => {
    await expect(verify(`t=${timestamp},v1=${hash}`)).resolves.toMatchObject({ timestamp })
    expect(signWebhook({ scheme: 'mux', secret, timestamp, body })).toEqual({
      'Mux-Signature': `t=${timestamp},v1=${hash}`,
    })
  })

  it("follows the SDK's cases: 6 minutes late, several and other versions", async () => {
    await expectCode(
      verify(`t=${timestamp},v1=${hash}`, timestamp + 360),
      'ZH_WEBHOOK_TIMESTAMP_STALE',
    )
    await expect(verify(`t=${timestamp},v1=invalid-sig,v1=${hash}`)).resolves.toBeTruthy()
    await expect(verify(`t=${timestamp},v2=${hash},v1=${hash}`)).resolves.toBeTruthy()
    await expectCode(
      verify(`t=${timestamp},v2=${hash}`),
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
    )
    await expectCode(verify(hash), 'ZH_WEBHOOK_HEADER_MALFORMED')
  })

  it('refuses two t, no t, and a timestamp with junk', async () => {
    await expectCode(
      verify(`t=${timestamp},t=${timestamp},v1=${hash}`),
      'ZH_WEBHOOK_HEADER_MALFORMED',
    )
    await expectCode(verify(`v1=${hash}`), 'ZH_WEBHOOK_HEADER_MALFORMED')
    await expectCode(verify(`t=${timestamp}abc,v1=${hash}`), 'ZH_WEBHOOK_TIMESTAMP_INVALID')
  })
})
