import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { answerChallenge } from '../challenge.js'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

// Xero webhooks keys look like base64 but are used as the string itself.
const A = 'OSd0eLlVIY9ZhViEqlDUh4+6n6M+Lo+eDaEJheJ6OCCgWwIz2D3JIAU6jPMipHRbgKTLz2uJ+xiACXGDBLrgdA=='
const B = 'another-xero-webhooks-key'

runCompliance({
  scheme: 'xero',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  body: ({ id, filler }) =>
    JSON.stringify({
      events: [{ resourceId: id, eventCategory: 'INVOICE', eventType: 'UPDATE', filler }],
      firstEventSequence: 1,
      lastEventSequence: 1,
      entropy: 'S0m3r4Nd0mt3xt',
    }),
  signatureHeader: 'x-xero-signature',
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('xero specifics', () => {
  // No published vector: an independent node:crypto computation (key used as a string).
  const itr = Buffer.from(
    '{"events":[],"firstEventSequence":0,"lastEventSequence":0,"entropy":"OSZCQQJLMUOFDMGWZJKP"}',
  )
  const good = createHmac('sha256', A).update(itr).digest('base64')
  const challenge = (signature: string, body = itr) =>
    answerChallenge({ scheme: 'xero', secret: A, headers: { 'x-xero-signature': signature }, body })

  it('matches an independent computation', async () => {
    expect(signWebhook({ scheme: 'xero', secret: A, body: itr })['x-xero-signature']).toBe(good)
    const headers = { 'x-xero-signature': good }
    const verified = await verifyWebhook({ scheme: 'xero', secret: A, headers, body: itr })
    expect(verified.id).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(verified.timestamp).toBeNull()
  })

  it('answers Intent to Receive with 200 when signed, 401 when not', async () => {
    await expect(challenge(good)).resolves.toEqual({ status: 200, headers: {}, body: '' })
    const wrong = createHmac('sha256', B).update(itr).digest('base64')
    await expectCode(challenge(wrong), 'ZH_WEBHOOK_SIGNATURE_INVALID')
  })

  it('leaves events with content to verifyWebhook', async () => {
    const event = Buffer.from('{"events":[{"eventType":"CREATE"}],"entropy":"x"}')
    const signature = createHmac('sha256', A).update(event).digest('base64')
    await expect(challenge(signature, event)).resolves.toBeNull()
    await expect(challenge(signature, Buffer.from('not json'))).resolves.toBeNull()
  })
})
