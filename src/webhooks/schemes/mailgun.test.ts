import { createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createMemoryReplayStore } from '../replay/memory.js'
import { signWebhook } from '../sign.js'
import type { VerifyOptions } from '../types.js'
import { verifyWebhook } from '../verify.js'
import { T0, expectCode } from './compliance.test-util.js'
import { mailgunSignature } from './mailgun.js'

// Mailgun signs inside the body, which the shared suite (header signatures) cannot drive: these
// tests walk the same ground (round trip, tamper, secrets, rotation, time, malformed, replay).
const A = 'key-3ax6xnjp29jd6fds4gc373sgvjxteol0'
const B = 'key-rotated0000000000000000000000000'
const TOKEN = 'a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0'

const bodyOf = (signature: object, event: object = { event: 'delivered', id: 'evt-1' }): Buffer =>
  Buffer.from(JSON.stringify({ signature, 'event-data': event }))

const verify = (body: Uint8Array, more: Partial<VerifyOptions> = {}) =>
  verifyWebhook({
    scheme: 'mailgun',
    secret: A,
    headers: { 'content-type': 'application/json' },
    body,
    now: T0,
    ...more,
  })

describe('mailgun', () => {
  it('verifies the hex HMAC-SHA256 of timestamp + token, computed independently', async () => {
    const signature = createHmac('sha256', A).update(`${T0}${TOKEN}`).digest('hex')
    const body = bodyOf({ timestamp: String(T0), token: TOKEN, signature })
    await expect(verify(body)).resolves.toEqual({
      id: TOKEN,
      timestamp: T0,
      scheme: 'mailgun',
      replayKeys: [],
    })
    expect(mailgunSignature(A, T0, TOKEN)).toEqual({
      timestamp: String(T0),
      token: TOKEN,
      signature,
    })
    await expect(verify(bodyOf({ timestamp: T0, token: TOKEN, signature }))).resolves.toBeTruthy()
  })

  it('refuses a tampered signature block and the wrong key, accepts a rotated one', async () => {
    const block = mailgunSignature(A, T0, TOKEN)
    await expectCode(
      verify(bodyOf({ ...block, token: `${TOKEN.slice(0, -1)}1` })),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
    await expectCode(
      verify(bodyOf({ ...block, timestamp: String(T0 + 1) })),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
    await expectCode(verify(bodyOf(block), { secret: B }), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expect(
      verify(bodyOf(block), { secret: undefined, secrets: [B, A] }),
    ).resolves.toBeTruthy()
    const parent = { ...mailgunSignature(B, T0, TOKEN), 'parent-signature': block.signature }
    await expect(verify(bodyOf(parent))).resolves.toBeTruthy()
  })

  it('does not sign the event (a known limit): the token is the replay id', async () => {
    const block = mailgunSignature(A, T0, TOKEN)
    const replay = createMemoryReplayStore()
    await expect(verify(bodyOf(block), { replay })).resolves.toBeTruthy()
    const swapped = bodyOf(block, { event: 'failed', id: 'evt-forged' })
    await expectCode(verify(swapped, { replay }), 'ZH_WEBHOOK_REPLAYED')
    await expect(verify(bodyOf(mailgunSignature(A, T0)), { replay })).resolves.toBeTruthy()
  })

  it('checks the time within 5 minutes both ways', async () => {
    const body = bodyOf(mailgunSignature(A, T0, TOKEN))
    await expectCode(verify(body, { now: T0 + 301 }), 'ZH_WEBHOOK_TIMESTAMP_STALE')
    await expectCode(verify(body, { now: T0 - 301 }), 'ZH_WEBHOOK_TIMESTAMP_FUTURE')
    await expect(verify(body, { now: T0 + 300 })).resolves.toBeTruthy()
    await expect(verify(body, { now: T0 - 300 })).resolves.toBeTruthy()
  })

  it('refuses malformed blocks with codes', async () => {
    const block = mailgunSignature(A, T0, TOKEN)
    await expectCode(verify(Buffer.from('{"event-data":{}}')), 'ZH_WEBHOOK_BODY_INVALID')
    await expectCode(
      verify(bodyOf({ timestamp: String(T0), token: TOKEN })),
      'ZH_WEBHOOK_BODY_INVALID',
    )
    await expectCode(
      verify(bodyOf({ ...block, timestamp: '1614265330abc' })),
      'ZH_WEBHOOK_TIMESTAMP_INVALID',
    )
    await expectCode(verify(bodyOf({ ...block, token: 'a b' })), 'ZH_WEBHOOK_HEADER_MALFORMED')
    await expectCode(
      verify(bodyOf({ ...block, signature: 'not hex' })),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
    await expectCode(verify(bodyOf({ ...block, 'parent-signature': 7 })), 'ZH_WEBHOOK_BODY_INVALID')
    await expectCode(verify(Buffer.alloc(0)), 'ZH_WEBHOOK_BODY_INVALID')
    await expectCode(verify(Buffer.alloc(1024 * 1024 + 1, 0x20)), 'ZH_WEBHOOK_BODY_TOO_LARGE')
    await expectCode(
      verifyWebhook({ scheme: 'mailgun', headers: {}, body: bodyOf(block) }),
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
  })

  it('reads form-encoded bodies, refuses multipart ones', async () => {
    const block = mailgunSignature(A, T0, TOKEN)
    const form = Buffer.from(
      new URLSearchParams({ ...block, event: 'delivered', recipient: 'a@b.c' }).toString(),
    )
    const headers = { 'content-type': 'application/x-www-form-urlencoded' }
    await expect(verify(form, { headers })).resolves.toMatchObject({ id: TOKEN })
    await expect(verify(form, { headers: {} })).resolves.toMatchObject({ id: TOKEN })
    const twice = Buffer.from(`${form.toString()}&token=${TOKEN}`)
    await expectCode(verify(twice, { headers }), 'ZH_WEBHOOK_BODY_INVALID')
    const multipart = { 'content-type': 'multipart/form-data; boundary=x' }
    await expectCode(verify(form, { headers: multipart }), 'ZH_WEBHOOK_BODY_INVALID')
  })

  it('has no header to sign: signWebhook points to mailgunSignature', () => {
    expect(() => signWebhook({ scheme: 'mailgun', secret: A, body: '{}' })).toThrow(
      expect.objectContaining({ code: 'ZH_WEBHOOK_OPTIONS_INVALID' }),
    )
  })
})
