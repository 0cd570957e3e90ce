import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { verifyWebhook } from '../verify.js'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'

const A = 'frameio-signing-secret-1'

runCompliance({
  scheme: 'frameio',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    {
      sign: { secret: 'frameio-signing-secret-2' },
      verify: { secret: 'frameio-signing-secret-2' },
    },
  ],
  body: ({ ts, id, filler }) =>
    JSON.stringify({ type: 'file.ready', resource: { type: 'file', id }, ts, filler }),
  signatureHeader: 'X-Frameio-Signature',
  timestampHeader: 'X-Frameio-Request-Timestamp',
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('frameio specifics', () => {
  // No published vector: an independent node:crypto computation of v0:<ts>:<body>.
  const body = Buffer.from('{"type":"comment.created","resource":{"type":"comment","id":"c1"}}')
  const mac = (ts: string, data: Buffer | string) =>
    createHmac('sha256', A).update(`v0:${ts}:`).update(data).digest('hex')
  const verify = (signature: string, ts = String(T0)) =>
    verifyWebhook({
      scheme: 'frameio',
      secret: A,
      headers: { 'x-frameio-signature': signature, 'x-frameio-request-timestamp': ts },
      body,
      now: T0,
    })

  it('matches an independent computation', async () => {
    await expect(verify(`v0=${mac(String(T0), body)}`)).resolves.toMatchObject({ timestamp: T0 })
    await expectCode(verify(`v0=${mac(String(T0 + 1), body)}`), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(
      verify(`v1=${mac(String(T0), body)}`),
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
    )
  })
})
