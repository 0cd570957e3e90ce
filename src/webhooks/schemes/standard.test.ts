import { Webhook } from 'standardwebhooks'
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

  it('refuses secrets that are not base64 of 16 or more bytes', async () => {
    const headers = signWebhook({ scheme: 'standard', secret: A, timestamp: T0, body })
    for (const secret of [
      'whsec_',
      'whsec_!!!!',
      'whsec_c2hvcnQ=',
      'c2hvcnQ=',
      'not base64 at all',
    ]) {
      await expectCode(verify(headers, { secret }), 'ZH_WEBHOOK_SECRET_INVALID')
    }
  })

  it('takes a secret without whsec_ as the same HMAC secret, never as a key', async () => {
    const headers = signWebhook({ scheme: 'standard', secret: A, timestamp: T0, body })
    await expect(verify(headers, { secret: A.slice('whsec_'.length) })).resolves.toBeTruthy()
    // 64 hex digits are base64 too: an HMAC secret in `secret`, an Ed25519 key in `publicKey`.
    const hex = k1.publicHex
    const hmacSigned = signWebhook({ scheme: 'standard', secret: hex, timestamp: T0, body })
    await expect(verify(hmacSigned, { secret: hex })).resolves.toBeTruthy()
    await expectCode(
      verify(hmacSigned, { publicKey: hex }),
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
    )
    const edSigned = signWebhook({ scheme: 'standard', key: k1.whsk, timestamp: T0, body })
    await expect(verify(edSigned, { publicKey: hex })).resolves.toBeTruthy()
    await expectCode(verify(edSigned, { secret: hex }), 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED')
    await expectCode(verify(headers, { publicKey: A }), 'ZH_WEBHOOK_SECRET_INVALID')
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

describe('interop: standardwebhooks secrets without the whsec_ prefix', () => {
  // The reference library checks against the real clock: these sign at the current time.
  const payload = '{"type":"user.created","data":{"id":"u_1"}}'
  const bare = 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const hex64 = 'a3f1c2d4e5b6978812345678abcdef0123456789abcdef0123456789abcdef01'
  const signedByReference = (secret: string) => {
    const timestamp = Math.floor(Date.now() / 1000)
    const signature = new Webhook(secret).sign('msg_ref', new Date(timestamp * 1000), payload)
    return {
      'webhook-id': 'msg_ref',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    }
  }

  for (const [label, secret] of [
    ['bare base64', bare],
    ['64 hex digits', hex64],
  ] as const) {
    it(`verifies what the reference signs with a ${label} secret`, async () => {
      await expect(
        verifyWebhook({
          scheme: 'standard',
          secret,
          headers: signedByReference(secret),
          body: Buffer.from(payload),
        }),
      ).resolves.toMatchObject({ id: 'msg_ref', scheme: 'standard' })
    })

    it(`signs what the reference verifies with a ${label} secret`, () => {
      const headers = signWebhook({ scheme: 'standard', secret, body: payload })
      expect(new Webhook(secret).verify(payload, headers)).toEqual(JSON.parse(payload))
    })
  }
})
