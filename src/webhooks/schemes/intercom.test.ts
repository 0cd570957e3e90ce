import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { answerChallenge } from '../challenge.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

const A = 'intercom-client-secret-1'

runCompliance({
  scheme: 'intercom',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    {
      sign: { secret: 'intercom-client-secret-2' },
      verify: { secret: 'intercom-client-secret-2' },
    },
  ],
  body: ({ ts, id, filler }) =>
    JSON.stringify({
      type: 'notification_event',
      id,
      topic: 'contact.user.created',
      created_at: ts,
      data: { type: 'notification_event_data', item: { filler } },
    }),
  signatureHeader: 'X-Hub-Signature',
  idInBody: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('intercom specifics', () => {
  // No usable published vector: an independent node:crypto computation over the raw body.
  const body = Buffer.from('{"type":"notification_event","id":"notif_78c122d0","topic":"ping"}')
  const sha1 = createHmac('sha1', A).update(body).digest('hex')
  const verify = (signature: string) =>
    verifyWebhook({
      scheme: 'intercom',
      secret: A,
      headers: { 'x-hub-signature': signature },
      body,
    })

  it('matches an independent computation, and refuses another algorithm', async () => {
    await expect(verify(`sha1=${sha1}`)).resolves.toMatchObject({ id: 'notif_78c122d0' })
    await expectCode(verify(`sha256=${sha1}`), 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED')
    await expectCode(verify(sha1), 'ZH_WEBHOOK_HEADER_MALFORMED')
  })

  it('answers the HEAD request that validates the endpoint URL, and nothing else', async () => {
    const challenge = (method: string) =>
      answerChallenge({ scheme: 'intercom', secret: A, method, headers: {}, body: Buffer.alloc(0) })
    await expect(challenge('HEAD')).resolves.toEqual({ status: 200, headers: {}, body: '' })
    await expect(challenge('POST')).resolves.toBeNull()
  })
})
