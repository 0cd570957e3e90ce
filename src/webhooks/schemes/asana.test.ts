import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { answerChallenge } from '../challenge.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

const A = '5a6c8e7d2f1b4c3a9e8d7f6a5b4c3d2e'
const B = 'b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6'

runCompliance({
  scheme: 'asana',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  body: ({ ts, id, filler }) =>
    JSON.stringify({
      events: [
        { action: 'changed', resource: { gid: id, resource_type: 'task' }, created_at: ts, filler },
      ],
    }),
  signatureHeader: 'X-Hook-Signature',
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('asana specifics', () => {
  const empty = Buffer.alloc(0)

  it('verifies the hex HMAC-SHA256 of the body, computed independently', async () => {
    const body = Buffer.from('{"events":[]}')
    const signature = createHmac('sha256', A).update(body).digest('hex')
    await expect(
      verifyWebhook({
        scheme: 'asana',
        secret: A,
        headers: { 'X-Hook-Signature': signature },
        body,
      }),
    ).resolves.toBeTruthy()
  })

  it('answers the handshake with the same X-Hook-Secret and hands the secret over', async () => {
    // The first handshake comes before any secret is known: none is passed.
    const answer = await answerChallenge({
      scheme: 'asana',
      headers: { 'X-Hook-Secret': A },
      body: empty,
    })
    expect(answer).toEqual({
      status: 200,
      headers: { 'X-Hook-Secret': A },
      body: '',
      learnedSecret: A,
    })
  })

  it('does not answer with handshake: false, nor without X-Hook-Secret', async () => {
    const attempt = (headers: Record<string, string>, handshake?: boolean) =>
      answerChallenge({
        scheme: 'asana',
        secret: A,
        headers,
        body: empty,
        ...(handshake === undefined ? {} : { options: { handshake } }),
      })
    await expect(attempt({ 'X-Hook-Secret': 'attacker' }, false)).resolves.toBeNull()
    await expect(attempt({})).resolves.toBeNull()
    await expectCode(attempt({ 'X-Hook-Secret': 'two words' }), 'ZH_WEBHOOK_HEADER_MALFORMED')
    // A handshake is not a signed event: verification refuses it.
    await expectCode(
      verifyWebhook({
        scheme: 'asana',
        secret: A,
        headers: { 'X-Hook-Secret': 'attacker' },
        body: empty,
      }),
      'ZH_WEBHOOK_HEADER_MISSING',
    )
  })
})
