import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { verifyWebhook } from '../verify.js'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'

const A = 'calendly-signing-key-1'

runCompliance({
  scheme: 'calendly',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: 'calendly-signing-key-2' }, verify: { secret: 'calendly-signing-key-2' } },
  ],
  body: ({ ts, id, filler }) =>
    JSON.stringify({
      event: 'invitee.created',
      created_at: new Date(ts * 1000).toISOString(),
      payload: { uri: `https://api.calendly.com/scheduled_events/${id}`, filler },
    }),
  signatureHeader: 'Calendly-Webhook-Signature',
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('calendly specifics', () => {
  // No published vector: an independent node:crypto computation of `t.body`.
  const body = Buffer.from('{"event":"invitee.canceled","payload":{"email":"a@example.com"}}')
  const v1 = (t: number) => createHmac('sha256', A).update(`${t}.`).update(body).digest('hex')
  const verify = (header: string, now = T0) =>
    verifyWebhook({
      scheme: 'calendly',
      secret: A,
      headers: { 'calendly-webhook-signature': header },
      body,
      now,
    })

  it('matches an independent computation', async () => {
    await expect(verify(`t=${T0},v1=${v1(T0)}`)).resolves.toMatchObject({ timestamp: T0 })
    await expectCode(verify(`t=${T0 + 1},v1=${v1(T0)}`), 'ZH_WEBHOOK_SIGNATURE_INVALID')
  })

  it('allows 3 minutes of clock difference, not more', async () => {
    const header = `t=${T0},v1=${v1(T0)}`
    await expect(verify(header, T0 + 180)).resolves.toBeTruthy()
    await expectCode(verify(header, T0 + 181), 'ZH_WEBHOOK_TIMESTAMP_STALE')
  })
})
