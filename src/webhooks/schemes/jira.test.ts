import { createHash, createHmac } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createMemoryReplayStore } from '../replay/memory.js'
import { signWebhook } from '../sign.js'
import type { VerifyOptions } from '../types.js'
import { verifyWebhook } from '../verify.js'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'

const A = 'jira-admin-webhook-secret'
const B = 'jira-admin-webhook-secret-2'

runCompliance({
  scheme: 'jira',
  materials: [
    { sign: { secret: A }, verify: { secret: A } },
    { sign: { secret: B }, verify: { secret: B } },
  ],
  signatureHeader: 'X-Hub-Signature',
  idHeader: 'X-Atlassian-Webhook-Identifier',
  idSigned: false,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

describe('jira hmac mode', () => {
  const body = Buffer.from('{"webhookEvent":"jira:issue_updated","timestamp":1700000000000}')

  it('verifies sha256=<hex HMAC-SHA256 of the body>, computed independently', async () => {
    const mac = createHmac('sha256', A).update(body).digest('hex')
    const headers = {
      'X-Hub-Signature': `sha256=${mac}`,
      'X-Atlassian-Webhook-Identifier': '2bd7a2e8-1',
    }
    await expect(
      verifyWebhook({ scheme: 'jira', secret: A, headers, body }),
    ).resolves.toMatchObject({ id: '2bd7a2e8-1' })
    const sha1 = { 'X-Hub-Signature': `sha1=${createHmac('sha1', A).update(body).digest('hex')}` }
    await expectCode(
      verifyWebhook({ scheme: 'jira', secret: A, headers: sha1, body }),
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
    )
    await expectCode(
      verifyWebhook({ scheme: 'jira', secret: A, headers, body, options: { mode: 'oauth' } }),
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
  })
})

describe('jira jwt mode (Connect)', () => {
  const secret = 'connect-shared-secret-0123456789abcdef'
  const baseUrl = 'https://app.example.com/base'
  const url = `${baseUrl}/jira/issue-updated?user_id=u%201&b=2&a=z&a=y&jwt=ignored`
  const body = Buffer.from('{"webhookEvent":"jira:issue_updated"}')
  const options = { mode: 'jwt', baseUrl, clientKey: 'client-key-1' }
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')
  // A token built by hand: the canonical request is written out, not computed by the scheme.
  const token = (claims: object, key = secret, header: object = { alg: 'HS256', typ: 'JWT' }) => {
    const unsigned = `${b64(header)}.${b64(claims)}`
    return `${unsigned}.${createHmac('sha256', key).update(unsigned).digest('base64url')}`
  }
  const qsh = createHash('sha256')
    .update('POST&/jira/issue-updated&a=y,z&b=2&user_id=u%201')
    .digest('hex')
  const claims = { iss: 'client-key-1', iat: T0, exp: T0 + 180, qsh }
  const verify = (jwt: string, more: Partial<VerifyOptions> = {}) =>
    verifyWebhook({
      scheme: 'jira',
      secret,
      url,
      headers: { authorization: `JWT ${jwt}` },
      body,
      options,
      now: T0 + 10,
      ...more,
    })

  it('verifies an independently built token and its qsh', async () => {
    const result = await verify(token(claims))
    expect(result).toMatchObject({ scheme: 'jira', timestamp: null })
    expect(result.id).toMatch(/^sha256:/)
  })

  it('round-trips what it signs, and accepts a rotated secret', async () => {
    const headers = signWebhook({ scheme: 'jira', secret, url, timestamp: T0, body, options })
    const jwt = headers.Authorization!.slice('JWT '.length)
    await expect(verify(jwt)).resolves.toBeTruthy()
    await expect(
      verify(jwt, { secret: undefined, secrets: ['old-secret', secret] }),
    ).resolves.toBeTruthy()
    await expectCode(verify(jwt, { secret: 'old-secret' }), 'ZH_WEBHOOK_SIGNATURE_INVALID')
  })

  it('binds the token to the method and URL, not to the body', async () => {
    await expectCode(verify(token(claims), { method: 'PUT' }), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(
      verify(token(claims), { url: `${baseUrl}/jira/other` }),
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
    await expect(verify(token(claims), { body: Buffer.from('{}') })).resolves.toBeTruthy()
  })

  it('checks exp, iat, iss and the algorithm', async () => {
    await expectCode(verify(token(claims), { now: T0 + 181 }), 'ZH_WEBHOOK_TIMESTAMP_STALE')
    await expect(verify(token(claims), { now: T0 + 181, tolerance: 5 })).resolves.toBeTruthy()
    await expectCode(verify(token(claims), { now: T0 - 60 }), 'ZH_WEBHOOK_TIMESTAMP_FUTURE')
    await expectCode(verify(token({ ...claims, iss: 'another-site' })), 'ZH_WEBHOOK_KEY_UNTRUSTED')
    await expectCode(
      verify(token({ iat: T0, exp: T0 + 180, iss: 'client-key-1' })),
      'ZH_WEBHOOK_HEADER_MALFORMED',
    )
    const hs512 = token(claims, secret, { alg: 'HS512', typ: 'JWT' })
    await expectCode(verify(hs512), 'ZH_WEBHOOK_HEADER_MALFORMED')
    await expectCode(verify('not-a-jwt'), 'ZH_WEBHOOK_HEADER_MALFORMED')
    await expectCode(verify(token(claims), { url: undefined }), 'ZH_WEBHOOK_OPTIONS_INVALID')
  })

  it('refuses a replayed token', async () => {
    const replay = createMemoryReplayStore()
    await expect(verify(token(claims), { replay })).resolves.toBeTruthy()
    await expectCode(verify(token(claims), { replay }), 'ZH_WEBHOOK_REPLAYED')
  })
})
