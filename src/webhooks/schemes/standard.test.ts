import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { T0, ed25519Pair, expectCode, runCompliance } from './compliance.test-util.js'

const A = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const B = 'whsec_dGhpcyBpcyBhIHNlY29uZCBzZWNyZXQga2V5IQ=='
const common = {
  scheme: 'standard',
  signatureHeader: 'webhook-signature',
  timestampHeader: 'webhook-timestamp',
  idHeader: 'webhook-id',
  idSigned: true,
  multiSign: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
} as const

runCompliance({
  ...common,
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
})

const k1 = ed25519Pair()
const k2 = ed25519Pair()
runCompliance({
  ...common,
  label: 'v1a',
  materials: [
    { sign: { key: k1.whsk }, verify: { publicKey: k1.whpk } },
    { sign: { key: k2.whsk }, verify: { publicKey: k2.whpk } },
  ],
})

describe('standard specifics', () => {
  const body = Buffer.from('{"test": 2432232314}')
  const verify = (headers: Record<string, string>, more: object = {}) =>
    verifyWebhook({ scheme: 'standard', headers, body, now: T0, ...more })

  it('accepts a whsk_ of 64 bytes (seed and public key), and refuses a mismatched one', async () => {
    const seed = Buffer.from(k1.whsk.slice(5), 'base64')
    const pub = Buffer.from(k1.whpk.slice(5), 'base64')
    const long = `whsk_${Buffer.concat([seed, pub]).toString('base64')}`
    const headers = signWebhook({ scheme: 'standard', key: long, timestamp: T0, body })
    await expect(verify(headers, { publicKey: k1.whpk })).resolves.toBeTruthy()
    const wrong = `whsk_${Buffer.concat([seed, Buffer.from(k2.whpk.slice(5), 'base64')]).toString('base64')}`
    expect(() => signWebhook({ scheme: 'standard', key: wrong, body })).toThrow(
      expect.objectContaining({ code: 'ZH_WEBHOOK_SECRET_INVALID' }),
    )
  })

  it('verifies v1a with the whsk_ itself, and mixes v1 and v1a', async () => {
    const headers = signWebhook({
      scheme: 'standard',
      secret: A,
      key: k1.whsk,
      timestamp: T0,
      body,
    })
    expect(headers['webhook-signature']).toMatch(/^v1,\S+ v1a,\S+$/)
    await expect(verify(headers, { secret: k1.whsk })).resolves.toBeTruthy()
    await expect(verify(headers, { secret: A })).resolves.toBeTruthy()
  })

  it('says which versions it saw when it holds no key for any of them', async () => {
    const headers = signWebhook({ scheme: 'standard', key: k1.whsk, timestamp: T0, body })
    await expectCode(verify(headers, { secret: A }), 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED')
  })

  it('refuses secrets that are not whsec_ base64', async () => {
    const headers = signWebhook({ scheme: 'standard', secret: A, timestamp: T0, body })
    for (const secret of [
      'whsec_',
      'whsec_!!!!',
      'whsec_c2hvcnQ=',
      'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    ]) {
      await expectCode(verify(headers, { secret }), 'ZH_WEBHOOK_SECRET_INVALID')
    }
  })

  it('refuses more signatures than a rotation needs', async () => {
    const headers = signWebhook({ scheme: 'standard', secret: A, timestamp: T0, body })
    const many = Array.from({ length: 17 }, () => headers['webhook-signature']).join(' ')
    await expectCode(
      verify({ ...headers, 'webhook-signature': many }, { secret: A }),
      'ZH_WEBHOOK_HEADER_MALFORMED',
    )
  })
})
