import { describe, expect, it } from 'vitest'
import { answerChallenge } from '../challenge.js'
import { signWebhook } from '../sign.js'
import { verifyWebhook } from '../verify.js'
import { expectCode, runCompliance } from './compliance.test-util.js'

runCompliance({
  scheme: 'dropbox',
  materials: [
    { sign: { secret: 'the_secret' }, verify: { secret: 'the_secret' } },
    { sign: { secret: 'another_app_secret' }, verify: { secret: 'another_app_secret' } },
  ],
  signatureHeader: 'X-Dropbox-Signature',
  garbageCode: 'ZH_WEBHOOK_SIGNATURE_INVALID',
})

describe('dropbox specifics', () => {
  it('verifies the hapi-dropbox-webhooks test vector', async () => {
    const body = Buffer.from('{"delta": {"users": [12345]}}')
    const signature = '0a8c16b085420b960dc78664279fe09e936a2a01b1f91064869d9e77dfd64529'
    await expect(
      verifyWebhook({
        scheme: 'dropbox',
        secret: 'the_secret',
        headers: { 'x-dropbox-signature': signature },
        body,
      }),
    ).resolves.toMatchObject({ timestamp: null })
    expect(
      signWebhook({ scheme: 'dropbox', secret: 'the_secret', body })['X-Dropbox-Signature'],
    ).toBe(signature)
  })

  it('echoes the GET challenge as text/plain with nosniff', async () => {
    const empty = Buffer.alloc(0)
    const answer = await answerChallenge({
      scheme: 'dropbox',
      secret: 'the_secret',
      method: 'GET',
      url: 'https://example.com/dropbox?challenge=the_challenge',
      headers: {},
      body: empty,
    })
    expect(answer).toEqual({
      status: 200,
      headers: { 'Content-Type': 'text/plain', 'X-Content-Type-Options': 'nosniff' },
      body: 'the_challenge',
    })
    const post = answerChallenge({
      scheme: 'dropbox',
      secret: 'the_secret',
      query: 'challenge=x',
      headers: {},
      body: empty,
    })
    await expect(post).resolves.toBeNull()
    const get = (query: string) =>
      answerChallenge({
        scheme: 'dropbox',
        secret: 'the_secret',
        method: 'GET',
        query,
        headers: {},
        body: empty,
      })
    await expect(get('other=1')).resolves.toBeNull()
    await expectCode(get(`challenge=${'x'.repeat(1025)}`), 'ZH_WEBHOOK_BODY_INVALID')
  })
})
