import { sign as octokitSign, verify as octokitVerify } from '@octokit/webhooks-methods'
import { Webhook } from 'standardwebhooks'
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { signWebhook } from './sign.js'
import { verifyWebhook } from './verify.js'

// Reference libraries check against the real clock, so these tests sign at the current time.
const now = (): number => Math.floor(Date.now() / 1000)
const payload = JSON.stringify({ type: 'user.created', data: { id: 'u_1', name: 'Ada' } })
const body = Buffer.from(payload)

describe('interop: standardwebhooks', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
  const rotated = 'whsec_dGhpcyBpcyBhIHNlY29uZCBzZWNyZXQga2V5IQ=='

  it('verifies what we sign, one signature or several', () => {
    const headers = signWebhook({ scheme: 'standard', secret, id: 'msg_interop', body })
    expect(new Webhook(secret).verify(payload, headers)).toEqual(JSON.parse(payload))
    const both = signWebhook({
      scheme: 'standard',
      secret: [rotated, secret],
      id: 'msg_interop',
      body,
    })
    expect(new Webhook(secret).verify(payload, both)).toEqual(JSON.parse(payload))
  })

  it('signs what we verify', async () => {
    const timestamp = now()
    const signature = new Webhook(secret).sign('msg_theirs', new Date(timestamp * 1000), payload)
    const headers = {
      'webhook-id': 'msg_theirs',
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signature,
    }
    await expect(
      verifyWebhook({ scheme: 'standard', secret, headers, body }),
    ).resolves.toMatchObject({ id: 'msg_theirs', timestamp })
    await expect(
      verifyWebhook({ scheme: 'standard', secrets: [rotated, secret], headers, body }),
    ).resolves.toBeTruthy()
  })

  it('agrees on a wrong secret', async () => {
    const headers = signWebhook({ scheme: 'standard', secret: rotated, body })
    expect(() => new Webhook(secret).verify(payload, headers)).toThrow()
    await expect(
      verifyWebhook({ scheme: 'standard', secret, headers, body }),
    ).rejects.toMatchObject({ code: 'ZH_WEBHOOK_SIGNATURE_INVALID' })
  })
})

describe('interop: @octokit/webhooks-methods', () => {
  const secret = 'octokit interop secret'

  it('verifies what we sign', async () => {
    const headers = signWebhook({ scheme: 'github', secret, body })
    expect(await octokitVerify(secret, payload, headers['X-Hub-Signature-256']!)).toBe(true)
    expect(await octokitVerify('other', payload, headers['X-Hub-Signature-256']!)).toBe(false)
  })

  it('signs what we verify', async () => {
    const signature = await octokitSign(secret, payload)
    const headers = { 'x-hub-signature-256': signature, 'x-github-delivery': 'd-1' }
    await expect(verifyWebhook({ scheme: 'github', secret, headers, body })).resolves.toMatchObject(
      { id: 'd-1', scheme: 'github' },
    )
  })
})

describe('interop: stripe', () => {
  const stripe = new Stripe('sk_test_interop_not_a_real_key')
  const secret = 'whsec_stripe_interop_secret'
  const event = JSON.stringify({
    id: 'evt_interop',
    object: 'event',
    type: 'invoice.paid',
    data: { object: {} },
  })

  it('generateTestHeaderString signs what we verify', async () => {
    const header = stripe.webhooks.generateTestHeaderString({ payload: event, secret })
    const headers = { 'stripe-signature': header }
    await expect(
      verifyWebhook({ scheme: 'stripe', secret, headers, body: Buffer.from(event) }),
    ).resolves.toMatchObject({ id: 'evt_interop' })
  })

  it('constructEvent accepts what we sign', () => {
    const headers = signWebhook({ scheme: 'stripe', secret, body: event })
    const parsed = stripe.webhooks.constructEvent(event, headers['Stripe-Signature']!, secret)
    expect(parsed.id).toBe('evt_interop')
    const rolled = signWebhook({ scheme: 'stripe', secret: ['whsec_old', secret], body: event })
    expect(stripe.webhooks.constructEvent(event, rolled['Stripe-Signature']!, secret).id).toBe(
      'evt_interop',
    )
    expect(() =>
      stripe.webhooks.constructEvent(event, headers['Stripe-Signature']!, 'whsec_wrong'),
    ).toThrow()
  })
})
