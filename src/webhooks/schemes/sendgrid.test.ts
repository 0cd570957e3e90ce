import { generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'

// SendGrid shows its verification key as base64 DER SubjectPublicKeyInfo; sign with PEM.
function p256Pair(): { privatePem: string; publicBase64: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
    publicBase64: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'),
  }
}

const a = p256Pair()
const b = p256Pair()

runCompliance({
  scheme: 'sendgrid',
  materials: [
    { sign: { key: a.privatePem }, verify: { publicKey: a.publicBase64 } },
    { sign: { key: b.privatePem }, verify: { publicKey: b.publicBase64 } },
  ],
  body: ({ ts, id, filler }) =>
    JSON.stringify([
      { email: 'a@example.com', event: 'delivered', sg_event_id: id, timestamp: ts, filler },
    ]),
  signatureHeader: 'X-Twilio-Email-Event-Webhook-Signature',
  timestampHeader: 'X-Twilio-Email-Event-Webhook-Timestamp',
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

// sendgrid/sendgrid-nodejs packages/eventwebhook/src/eventwebhook.spec.js
const vector = {
  publicKey:
    'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==',
  otherKey:
    'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqTxd43gyp8IOEto2LdIfjRQrIbsd4SXZkLW6jDutdhXSJCWHw8REntlo7aNDthvj+y7GjUuFDb/R1NGe1OPzpA==',
  signature:
    'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=',
  badSignature:
    'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0=',
  timestamp: 1588788367,
  payload: '{"category":"example_payload","event":"test_event","message_id":"message_id"}',
}

describe('sendgrid specifics', () => {
  const verify = (over: { publicKey?: string; signature?: string; payload?: string } = {}) =>
    verifyWebhook({
      scheme: 'sendgrid',
      publicKey: over.publicKey ?? vector.publicKey,
      headers: {
        'X-Twilio-Email-Event-Webhook-Signature': over.signature ?? vector.signature,
        'X-Twilio-Email-Event-Webhook-Timestamp': String(vector.timestamp),
      },
      body: Buffer.from(over.payload ?? vector.payload),
      now: vector.timestamp,
    })

  it("verifies SendGrid's published example and refuses its negative cases", async () => {
    await expect(verify()).resolves.toMatchObject({
      timestamp: vector.timestamp,
      scheme: 'sendgrid',
    })
    await expectCode(verify({ publicKey: vector.otherKey }), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(verify({ payload: 'payload' }), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(verify({ signature: vector.badSignature }), 'ZH_WEBHOOK_SIGNATURE_INVALID')
  })

  it('accepts the verification key as PEM, and refuses a key of another curve', async () => {
    const body = Buffer.from('[{"event":"open"}]')
    const headers = signWebhook({ scheme: 'sendgrid', key: a.privatePem, timestamp: T0, body })
    const pem = `-----BEGIN PUBLIC KEY-----\n${a.publicBase64}\n-----END PUBLIC KEY-----\n`
    await expect(
      verifyWebhook({ scheme: 'sendgrid', publicKey: pem, headers, body, now: T0 }),
    ).resolves.toBeTruthy()
    const p384 = generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey
    await expectCode(
      verifyWebhook({ scheme: 'sendgrid', publicKey: p384, headers, body, now: T0 }),
      'ZH_WEBHOOK_SECRET_INVALID',
    )
  })

  it('needs a public key, not a secret, and signs with one key', async () => {
    const body = Buffer.from('[]')
    const headers = signWebhook({ scheme: 'sendgrid', key: a.privatePem, timestamp: T0, body })
    await expectCode(
      verifyWebhook({ scheme: 'sendgrid', secret: a.publicBase64, headers, body, now: T0 }),
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
    expect(() =>
      signWebhook({ scheme: 'sendgrid', key: [a.privatePem, b.privatePem], body }),
    ).toThrow(expect.objectContaining({ code: 'ZH_WEBHOOK_OPTIONS_INVALID' }))
  })
})
