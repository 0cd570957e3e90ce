import { createHash, generateKeyPairSync, sign as cryptoSign, type KeyObject } from 'node:crypto'
import { jwtVerify } from 'jose/jwt/verify'
import { describe, expect, it } from 'vitest'
import { signWebhook } from '../sign.js'
import type { KeyRequest } from '../types.js'
import { verifyWebhook } from '../verify.js'
import { jwkThumbprint } from './asymmetric-keys.js'
import { T0, expectCode, runCompliance } from './compliance.test-util.js'
import { PLAID_KEY_TTL } from './plaid-keys.js'

interface Pair {
  readonly privateKey: KeyObject
  readonly publicKey: KeyObject
  readonly kid: string
  readonly jwk: Record<string, unknown>
}

function p256(): Pair {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const kid = jwkThumbprint(publicKey)
  return { privateKey, publicKey, kid, jwk: { ...publicKey.export({ format: 'jwk' }), kid } }
}

const a = p256()
const b = p256()

runCompliance({
  scheme: 'plaid',
  materials: [
    { sign: { key: a.privateKey }, verify: { publicKey: JSON.stringify(a.jwk) } },
    { sign: { key: b.privateKey }, verify: { publicKey: JSON.stringify(b.jwk) } },
  ],
  body: ({ id, filler }) =>
    JSON.stringify({
      webhook_type: 'TRANSACTIONS',
      webhook_code: 'SYNC_UPDATES_AVAILABLE',
      item_id: id,
      environment: 'sandbox',
      filler,
    }),
  signatureHeader: 'Plaid-Verification',
  garbageCode: 'ZH_WEBHOOK_HEADER_MALFORMED',
})

const b64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url')

// A Plaid-Verification header built here with node:crypto alone, as Plaid describes it.
function plaidJwt(key: KeyObject, kid: string, iat: number, body: Buffer, alg = 'ES256'): string {
  const input = `${b64url({ alg, kid, typ: 'JWT' })}.${b64url({
    iat,
    request_body_sha256: createHash('sha256').update(body).digest('hex'),
  })}`
  const signature = cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
  return `${input}.${signature.toString('base64url')}`
}

// Serves Plaid's /webhook_verification_key/get for the keys given; records what it was asked.
function plaidServer(keys: readonly Pair[], expired: readonly string[] = []) {
  const requests: KeyRequest[] = []
  const fetchKey = async (request: KeyRequest): Promise<string> => {
    requests.push(request)
    const { key_id: kid } = JSON.parse(request.body ?? '{}') as { key_id?: string }
    const pair = keys.find((k) => k.kid === kid)
    if (!pair) throw new Error('unknown key')
    const expiredAt = expired.includes(pair.kid) ? 1_700_000_000 : null
    const key = {
      ...pair.jwk,
      alg: 'ES256',
      use: 'sig',
      created_at: 1_600_000_000,
      expired_at: expiredAt,
    }
    return JSON.stringify({ key, request_id: 'req_1' })
  }
  return { fetchKey, requests }
}

const options = { clientId: 'client_123', environment: 'sandbox' }
const body = Buffer.from('{"webhook_type":"ITEM","webhook_code":"WEBHOOK_UPDATE_ACKNOWLEDGED"}')

describe('plaid specifics', () => {
  it('verifies a header built independently with node:crypto, and its own signature with jose', async () => {
    const headers = { 'Plaid-Verification': plaidJwt(a.privateKey, a.kid, T0, body) }
    const pinned = { scheme: 'plaid' as const, publicKey: JSON.stringify(a.jwk), body, now: T0 }
    await expect(verifyWebhook({ ...pinned, headers })).resolves.toMatchObject({ timestamp: T0 })

    const signed = signWebhook({ scheme: 'plaid', key: a.privateKey, timestamp: T0, body })
    const token = signed['Plaid-Verification']!
    const { payload, protectedHeader } = await jwtVerify(token, a.publicKey, {
      algorithms: ['ES256'],
      currentDate: new Date(T0 * 1000),
    })
    expect(protectedHeader).toMatchObject({ alg: 'ES256', kid: a.kid })
    expect(payload).toEqual({
      iat: T0,
      request_body_sha256: createHash('sha256').update(body).digest('hex'),
    })
  })

  it("fetches the kid's key from Plaid once, with the client id and secret, and reuses it", async () => {
    const server = plaidServer([a])
    const headers = { 'Plaid-Verification': plaidJwt(a.privateKey, a.kid, T0, body) }
    const verify = (now: number) =>
      verifyWebhook({
        scheme: 'plaid',
        secret: 'plaid-secret',
        options,
        fetchKey: server.fetchKey,
        headers,
        body,
        now,
      })
    await expect(verify(T0)).resolves.toBeTruthy()
    await expect(verify(T0 + 1)).resolves.toBeTruthy()
    expect(server.requests).toHaveLength(1)
    expect(server.requests[0]).toMatchObject({
      url: 'https://sandbox.plaid.com/webhook_verification_key/get',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
    })
    expect(JSON.parse(server.requests[0]!.body!)).toEqual({
      client_id: 'client_123',
      secret: 'plaid-secret',
      key_id: a.kid,
    })
    const later = T0 + PLAID_KEY_TTL
    const fresh = { 'Plaid-Verification': plaidJwt(a.privateKey, a.kid, later, body) }
    await expect(
      verifyWebhook({
        scheme: 'plaid',
        secret: 'plaid-secret',
        options,
        fetchKey: server.fetchKey,
        headers: fresh,
        body,
        now: later,
      }),
    ).resolves.toBeTruthy()
    expect(server.requests).toHaveLength(2)
  })

  it('uses the production host, refuses an expired key and an unknown one', async () => {
    const server = plaidServer([a, b], [b.kid])
    const run = (key: Pair) =>
      verifyWebhook({
        scheme: 'plaid',
        secret: 'plaid-secret',
        options: { ...options, environment: 'production' },
        fetchKey: server.fetchKey,
        headers: { 'Plaid-Verification': plaidJwt(key.privateKey, key.kid, T0, body) },
        body,
        now: T0,
      })
    await expect(run(a)).resolves.toBeTruthy()
    expect(server.requests[0]!.url).toBe(
      'https://production.plaid.com/webhook_verification_key/get',
    )
    await expectCode(run(b), 'ZH_WEBHOOK_KEY_UNTRUSTED')
    const stranger = p256()
    await expectCode(run(stranger), 'ZH_WEBHOOK_KEY_UNAVAILABLE')
  })

  it('refuses another algorithm, a body of another hash, and a stale iat before trusting anything', async () => {
    const server = plaidServer([a])
    const verify = (token: string, at = T0, payload = body) =>
      verifyWebhook({
        scheme: 'plaid',
        secret: 'plaid-secret',
        options,
        fetchKey: server.fetchKey,
        headers: { 'Plaid-Verification': token },
        body: payload,
        now: at,
      })
    const hs256 = `${b64url({ alg: 'HS256', kid: a.kid, typ: 'JWT' })}.${b64url({ iat: T0 })}.c2ln`
    await expectCode(verify(hs256), 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED')
    expect(server.requests).toHaveLength(0)
    const token = plaidJwt(a.privateKey, a.kid, T0, body)
    await expectCode(verify(token, T0, Buffer.from('{}')), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    await expectCode(verify(token, T0 + 301), 'ZH_WEBHOOK_TIMESTAMP_STALE')
    const noKid = `${b64url({ alg: 'ES256', typ: 'JWT' })}.${token.split('.')[1]}.${token.split('.')[2]}`
    await expectCode(verify(noKid), 'ZH_WEBHOOK_HEADER_MALFORMED')
  })

  it('needs options.clientId, an environment and one API secret to fetch keys', async () => {
    const headers = { 'Plaid-Verification': plaidJwt(a.privateKey, a.kid, T0, body) }
    const { fetchKey } = plaidServer([a])
    const base = { scheme: 'plaid' as const, fetchKey, headers, body, now: T0 }
    await expectCode(
      verifyWebhook({ ...base, secret: 's', options: { environment: 'sandbox' } }),
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
    await expectCode(
      verifyWebhook({
        ...base,
        secret: 's',
        options: { clientId: 'c', environment: 'development' },
      }),
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
    await expectCode(verifyWebhook({ ...base, options }), 'ZH_WEBHOOK_OPTIONS_INVALID')
    await expectCode(
      verifyWebhook({ ...base, secrets: ['s1', 's2'], options }),
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
  })
})
