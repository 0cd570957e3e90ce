import { generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto'
import { jwtVerify } from 'jose/jwt/verify'
import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import type { KeyRequest } from '../types.js'
import { verifyWebhook } from '../verify.js'
import { jwkThumbprint } from './asymmetric-keys.js'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'
import { GOOGLE_JWKS_URL, JWKS_REFETCH_AFTER, JWKS_TTL } from './jwks.js'

interface Pair {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  readonly kid: string
  readonly jwk: Record<string, unknown>
}

function rsa(): Pair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const kid = jwkThumbprint(publicKey)
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' }
  return { privateKey, publicKey, kid, jwk }
}

const a = rsa()
const b = rsa()
const AUDIENCE = 'https://hooks.example.com/pubsub'
const EMAIL = 'pusher@my-project.iam.gserviceaccount.com'
const options = { audience: AUDIENCE, serviceAccountEmail: EMAIL }

// A push body; it ends in a number so that the suite's one-bit tamper keeps it JSON.
const pushBody = ({ ts, id, filler }: { ts: number; id: string; filler: string }): string =>
  JSON.stringify({
    message: {
      attributes: { filler },
      data: Buffer.from('hello').toString('base64'),
      messageId: id,
      publishTime: new Date(ts * 1000).toISOString(),
    },
    subscription: 'projects/my-project/subscriptions/push',
    deliveryAttempt: 2,
  })

runCompliance({
  scheme: 'google-pubsub',
  materials: [
    { sign: { key: a.privateKey }, verify: { publicKey: JSON.stringify(a.jwk) } },
    { sign: { key: b.privateKey }, verify: { publicKey: JSON.stringify(b.jwk) } },
  ],
  options,
  body: pushBody,
  signatureHeader: 'Authorization',
  idInBody: true,
  bodyUnsigned: true,
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
  emptyBodyCode: 'ZH_WEBHOOK_BODY_INVALID',
})

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

// A Google-style push token built here with node:crypto alone.
function googleJwt(key: Pair, claims: Record<string, unknown>, alg = 'RS256'): string {
  const input = `${b64url({ alg, kid: key.kid, typ: 'JWT' })}.${b64url({
    aud: AUDIENCE,
    azp: '113774264463038321964',
    email: EMAIL,
    email_verified: true,
    exp: T0 + 3600,
    iat: T0,
    iss: 'https://accounts.google.com',
    sub: '113774264463038321964',
    ...claims,
  })}`
  return `${input}.${cryptoSign('sha256', Buffer.from(input), key.privateKey).toString('base64url')}`
}

// Serves Google's JWKS with the keys of the moment; records what it was asked.
function googleServer(keys: Pair[]) {
  const requests: KeyRequest[] = []
  const fetchKey = async (request: KeyRequest): Promise<string> => {
    requests.push(request)
    return JSON.stringify({ keys: keys.map((k) => k.jwk) })
  }
  return { fetchKey, requests, keys }
}

const body = Buffer.from(pushBody({ ts: T0, id: '2070443601311540', filler: '' }))

describe('google-pubsub specifics', () => {
  const verify = (token: string, more: Record<string, unknown> = {}) =>
    verifyWebhook({
      scheme: 'google-pubsub',
      publicKey: JSON.stringify(a.jwk),
      options,
      headers: { authorization: `Bearer ${token}` },
      body,
      now: T0,
      ...more,
    })

  it('verifies a token built with node:crypto, and its own tokens verify with jose', async () => {
    await expect(verify(googleJwt(a, {}))).resolves.toMatchObject({
      id: '2070443601311540',
      timestamp: T0,
    })
    await expect(verify(googleJwt(a, { iss: 'accounts.google.com' }))).resolves.toBeTruthy()
    const headers = signWebhook({
      scheme: 'google-pubsub',
      key: a.privateKey,
      options,
      timestamp: T0,
      body,
    })
    const token = headers.Authorization!.replace(/^Bearer /, '')
    const { payload, protectedHeader } = await jwtVerify(token, a.publicKey, {
      algorithms: ['RS256'],
      currentDate: new Date(T0 * 1000),
    })
    expect(protectedHeader).toMatchObject({ alg: 'RS256', kid: a.kid })
    expect(payload).toMatchObject({
      aud: AUDIENCE,
      email: EMAIL,
      email_verified: true,
      iat: T0,
      exp: T0 + 3600,
    })
  })

  it('refuses another audience, issuer or service account, an unverified email, an expired token', async () => {
    await expectCode(
      verify(googleJwt(a, { aud: 'https://elsewhere.example' })),
      'ZH_WEBHOOK_KEY_UNTRUSTED',
    )
    await expectCode(
      verify(googleJwt(a, { iss: 'https://evil.example' })),
      'ZH_WEBHOOK_KEY_UNTRUSTED',
    )
    await expectCode(
      verify(googleJwt(a, { email: 'attacker@other.iam.gserviceaccount.com' })),
      'ZH_WEBHOOK_KEY_UNTRUSTED',
    )
    await expectCode(verify(googleJwt(a, { email_verified: false })), 'ZH_WEBHOOK_KEY_UNTRUSTED')
    const expired = googleJwt(a, { iat: T0 - 3000, exp: T0 - 100 })
    await expectCode(verify(expired), 'ZH_WEBHOOK_TIMESTAMP_STALE')
    await expect(verify(googleJwt(a, { iat: T0 - 3000, exp: T0 - 30 }))).resolves.toBeTruthy()
  })

  it('accepts a list of service accounts, refuses other algorithms and non-Bearer headers', async () => {
    const other = {
      audience: AUDIENCE,
      serviceAccountEmail: ['a@p.iam.gserviceaccount.com', EMAIL],
    }
    await expect(verify(googleJwt(a, {}), { options: other })).resolves.toBeTruthy()
    const none = `${b64url({ alg: 'none', typ: 'JWT' })}.${b64url({ aud: AUDIENCE })}.c2ln`
    await expectCode(verify(none), 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED')
    const hs = `${b64url({ alg: 'HS256', kid: a.kid })}.${b64url({ aud: AUDIENCE })}.c2ln`
    await expectCode(verify(hs), 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED')
    const basic = { authorization: 'Basic dXNlcjpwYXNz' }
    await expectCode(verify('', { headers: basic }), 'ZH_WEBHOOK_HEADER_MALFORMED')
  })

  it('needs options.audience and options.serviceAccountEmail', async () => {
    const token = googleJwt(a, {})
    await expectCode(
      verify(token, { options: { audience: AUDIENCE } }),
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
    await expectCode(
      verify(token, { options: { serviceAccountEmail: EMAIL } }),
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
  })

  it("fetches Google's JWKS once an hour, and again (at most a minute apart) for an unknown kid", async () => {
    const server = googleServer([a])
    const fetched = (token: string, now: number) =>
      verifyWebhook({
        scheme: 'google-pubsub',
        options,
        fetchKey: server.fetchKey,
        headers: { authorization: `Bearer ${token}` },
        body,
        now,
      })
    await expect(fetched(googleJwt(a, {}), T0)).resolves.toBeTruthy()
    await expect(fetched(googleJwt(a, {}), T0 + 10)).resolves.toBeTruthy()
    expect(server.requests).toEqual([{ url: GOOGLE_JWKS_URL, method: 'GET' }])

    // b is not published yet: one more fetch finds nothing; a retry within the minute fetches not.
    await expectCode(fetched(googleJwt(b, {}), T0 + 20), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(fetched(googleJwt(b, {}), T0 + 30), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    expect(server.requests).toHaveLength(1)
    server.keys.push(b)
    const later = T0 + 20 + JWKS_REFETCH_AFTER
    await expect(fetched(googleJwt(b, {}), later)).resolves.toBeTruthy()
    expect(server.requests).toHaveLength(2)
    await expect(fetched(googleJwt(a, {}), T0 + JWKS_TTL - 1)).resolves.toBeTruthy()
    expect(server.requests).toHaveLength(2)
    const nextHour = googleJwt(a, { iat: T0 + JWKS_TTL + 100, exp: T0 + 2 * JWKS_TTL })
    await expect(fetched(nextHour, T0 + JWKS_TTL + 100)).resolves.toBeTruthy()
    expect(server.requests).toHaveLength(3)
  })

  it('takes the id from an unwrapped push header, and refuses a body without one', async () => {
    const raw = Buffer.from('hello')
    const token = googleJwt(a, {})
    const headers = { authorization: `Bearer ${token}`, 'x-goog-pubsub-message-id': '42' }
    await expect(verify(token, { body: raw, headers })).resolves.toMatchObject({ id: '42' })
    await expectCode(verify(token, { body: raw }), 'ZH_WEBHOOK_BODY_INVALID')
  })
})
