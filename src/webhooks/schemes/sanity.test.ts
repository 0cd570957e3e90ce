import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'

runCompliance({
  scheme: 'sanity',
  materials: [
    { sign: { secret: 'sanity-webhook-secret-1' }, verify: { secret: 'sanity-webhook-secret-1' } },
    { sign: { secret: 'sanity-webhook-secret-2' }, verify: { secret: 'sanity-webhook-secret-2' } },
  ],
  body: ({ id, filler }) => JSON.stringify({ _id: id, _type: 'post', _rev: 'r1', filler }),
  signatureHeader: 'sanity-webhook-signature',
  idHeader: 'idempotency-key',
  idSigned: false,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

// sanity-io/webhook-toolkit, test/signature.test.ts.
const body = Buffer.from(JSON.stringify({ _id: 'resume' }))
const valid = 't=1633519811129,v1=tLa470fx7qkLLEcMOcEUFuBbRSkGujyskxrNXcoh0N0'
const verify = (header: string, payload = body, secret = 'test', now = 1633519811) =>
  verifyWebhook({
    scheme: 'sanity',
    secret,
    headers: { 'sanity-webhook-signature': header },
    body: payload,
    now,
  })

describe('sanity published vectors', () => {
  it("verifies the toolkit's valid signature, with or without a space", async () => {
    await expect(verify(valid)).resolves.toMatchObject({ timestamp: 1633519811 })
    await expect(verify(valid.replace(',', ', '))).resolves.toBeTruthy()
    const other = Buffer.from(JSON.stringify({ title: 'GROQ-Hooks are neat' }))
    await expect(
      verify(
        't=1633518820676,v1=e7C9h2sfbFfc4V7TEz7PSOp4IoNzl0UdVsBV-1wgdeA',
        other,
        'try-me',
        1633518820,
      ),
    ).resolves.toBeTruthy()
  })

  it("refuses the toolkit's invalid cases: timestamp, hash, payload, version", async () => {
    await expectCode(verify(valid.replace('129,', '128,')), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    // The same bytes re-encoded (the last character's spare bits differ): refused, as Sanity does.
    await expectCode(verify(valid.replace(/0N0$/, '0N1')), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    const structure = Buffer.from(JSON.stringify({ _id: 'structure' }))
    await expectCode(verify(valid, structure), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(
      verify(valid.replace('v1=', 'v5=')),
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
    )
  })
})

describe('sanity specifics', () => {
  it('signs milliseconds and base64url', () => {
    const headers = signWebhook({ scheme: 'sanity', secret: 'x', timestamp: T0, body, id: 'k1' })
    expect(headers['sanity-webhook-signature']).toMatch(/^t=1700000000000,v1=[A-Za-z0-9_-]{43}$/)
    expect(headers['idempotency-key']).toBe('k1')
  })

  it('refuses a timestamp in seconds as stale, and one that is not a number', async () => {
    await expectCode(
      verify(valid.replace('1633519811129', '1633519811')),
      'ZH_WEBHOOK_TIMESTAMP_STALE',
    )
    await expectCode(
      verify(valid.replace('1633519811129', '16335198111x9')),
      'ZH_WEBHOOK_TIMESTAMP_INVALID',
    )
  })

  it('refuses base64 that is not base64url', async () => {
    const padded = valid.replace(/0N0$/, '0N0=')
    await expectCode(verify(padded), 'ZH_WEBHOOK_HEADER_MALFORMED')
    await expectCode(verify(valid.replace('tLa4', 'tL+4')), 'ZH_WEBHOOK_SIGNATURE_INVALID')
  })
})
