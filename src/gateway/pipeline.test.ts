import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import type { IncomingMessage } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { codeOf } from '../errors.test-util.js'
import {
  fileLearnedSecret,
  type LearnedSecretStore,
} from '../webhooks/middleware/learned-secret.js'
import { createMemoryReplayStore } from '../webhooks/replay/memory.js'
import { signWebhook } from '../webhooks/sign.js'
import type { GatewayRoute } from './config.js'
import { forwardHeaders } from './forward-headers.js'
import { routePipeline } from './pipeline.js'

const SECRET = 'github-secret'
const TOKEN = 'a-bearer-token-of-32-characters!'
const route: GatewayRoute = {
  path: '/github',
  scheme: 'github',
  secrets: [SECRET],
  publicKeys: [],
  allow: ['10.0.0.0/8'],
  tokens: [TOKEN],
  tolerance: undefined,
  target: { service: 'jenkins-webhook', path: '/hook' },
  forwardHeaders: [],
  options: {},
  url: undefined,
}

interface Call {
  address?: string
  token?: string
  body?: string
  signature?: string
  contentLength?: boolean
}

const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`

// A request as node:http gives it, whose body records whether anyone read it.
function request(call: Call): IncomingMessage & { wasRead: () => boolean } {
  const body = Buffer.from(call.body ?? '{"ok":true}')
  let read = false
  const stream = new Readable({
    read() {
      read = true
      this.push(body)
      this.push(null)
    },
  })
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    'x-hub-signature-256': call.signature ?? sign(body.toString()),
  }
  if (call.token !== undefined) headers.authorization = `Bearer ${call.token}`
  if (call.contentLength) headers['content-length'] = String(body.length)
  return Object.assign(stream, {
    method: 'POST',
    headers,
    socket: { remoteAddress: call.address ?? '10.1.2.3' },
    wasRead: () => read,
  }) as unknown as IncomingMessage & { wasRead: () => boolean }
}

const admitWith = (clientCertificates = false) =>
  routePipeline(route, { maxBodyBytes: 64, replay: createMemoryReplayStore(), clientCertificates })

const big = 'x'.repeat(100)

describe('gateway route pipeline: the order of the checks', () => {
  it('checks the socket address first: 403 before the token, the size or the signature', async () => {
    const req = request({
      address: '127.0.0.1',
      body: big,
      signature: 'sha256=00',
      contentLength: true,
    })
    expect(await codeOf(admitWith()(req))).toBe('ZH_WEBHOOK_IP_FORBIDDEN')
    expect(req.wasRead()).toBe(false)
  })

  it('checks a client certificate (mTLS on) after the address, before the token', async () => {
    const req = request({ body: big })
    expect(await codeOf(admitWith(true)(req))).toBe('ZH_WEBHOOK_CLIENT_CERT_REQUIRED')
    expect(req.wasRead()).toBe(false)
  })

  it('then the bearer token: 401 before the body is read', async () => {
    const missing = request({ body: big })
    expect(await codeOf(admitWith()(missing))).toBe('ZH_WEBHOOK_TOKEN_MISSING')
    const wrong = request({ token: TOKEN.replace('a', 'b'), body: big })
    expect(await codeOf(admitWith()(wrong))).toBe('ZH_WEBHOOK_TOKEN_INVALID')
    expect(wrong.wasRead()).toBe(false)
  })

  it('then the body cap, before any hashing: 413 even with a bad signature', async () => {
    const declared = request({
      token: TOKEN,
      body: big,
      signature: 'sha256=00',
      contentLength: true,
    })
    expect(await codeOf(admitWith()(declared))).toBe('ZH_WEBHOOK_BODY_TOO_LARGE')
    expect(declared.wasRead()).toBe(false) // refused on Content-Length alone
    const chunked = request({ token: TOKEN, body: big, signature: 'sha256=00' })
    expect(await codeOf(admitWith()(chunked))).toBe('ZH_WEBHOOK_BODY_TOO_LARGE')
  })

  it('then the signature: 401 for a wrong one', async () => {
    const req = request({ token: TOKEN, signature: sign('another body') })
    expect(await codeOf(admitWith()(req))).toBe('ZH_WEBHOOK_SIGNATURE_INVALID')
  })

  it('admits a valid webhook with its exact bytes, and refuses its replay with 409', async () => {
    const admit = admitWith()
    const body = '{"zen":"Design for failure.","n":1}'
    const admitted = await admit(request({ token: TOKEN, body }))
    if (admitted.kind !== 'webhook') throw new Error('not admitted as a webhook')
    expect(admitted.body.toString()).toBe(body)
    expect(admitted.verified.id).toBe('72d3162e-cc78-11e3-81ab-4c9367dc0958')
    expect(await codeOf(admit(request({ token: TOKEN, body })))).toBe('ZH_WEBHOOK_REPLAYED')
  })
})

describe('forwarded headers', () => {
  it('keeps the provider headers that matter, drops the token and forged gateway headers', () => {
    const headers = forwardHeaders(
      {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': 'abc',
        'x-hub-signature-256': 'sha256=ff',
        authorization: `Bearer ${TOKEN}`,
        cookie: 'a=b',
        'x-forwarded-for': '1.2.3.4',
        'x-zerohook-gateway-verified': 'forged',
        'x-custom': 'kept by config',
      },
      ['x-custom'],
      { scheme: 'github', id: 'gw_1' },
    )
    expect(headers).toEqual({
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': 'abc',
      'x-hub-signature-256': 'sha256=ff',
      'x-custom': 'kept by config',
      'x-zerohook-gateway-verified': 'github',
      'x-zerohook-gateway-id': 'gw_1',
    })
  })
})

// Any request as node:http gives it: method, target (path and query), headers, body.
function incoming(
  target: string,
  headers: Record<string, string>,
  body = '',
  method = 'POST',
): IncomingMessage {
  return Object.assign(Readable.from([Buffer.from(body)]), {
    method,
    url: target,
    headers,
    socket: { remoteAddress: '10.1.2.3' },
  }) as unknown as IncomingMessage
}

const open = (over: Partial<GatewayRoute>): GatewayRoute => ({
  ...route,
  allow: undefined,
  tokens: undefined,
  ...over,
})
const pipeline = (over: Partial<GatewayRoute>, learned?: LearnedSecretStore) =>
  routePipeline(open(over), {
    maxBodyBytes: 4096,
    replay: createMemoryReplayStore(),
    clientCertificates: false,
    learned,
  })

describe('gateway route pipeline: the URL, the method and the options reach the scheme', () => {
  const AUTH = 'twilio-auth-token'
  const form = 'CallSid=CA123&From=%2B14155550100&To=%2B14155550111'
  const twilioHeaders = (url: string) => ({
    'content-type': 'application/x-www-form-urlencoded',
    ...signWebhook({ scheme: 'twilio', secret: AUTH, url, body: form, id: `idem-${url}` }),
  })

  it('Twilio: the route url plus the request path and query is the signed URL', async () => {
    const admit = pipeline({ scheme: 'twilio', secrets: [AUTH], url: 'https://hooks.example.com' })
    const signedUrl = 'https://hooks.example.com/twilio/voice?tenant=7'
    const ok = await admit(incoming('/twilio/voice?tenant=7', twilioHeaders(signedUrl), form))
    expect(ok.kind).toBe('webhook')
    const other = twilioHeaders('https://attacker.example/twilio/voice?tenant=7')
    expect(await codeOf(admit(incoming('/twilio/voice?tenant=7', other, form)))).toBe(
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
    const query = twilioHeaders('https://hooks.example.com/twilio/voice?tenant=8')
    expect(await codeOf(admit(incoming('/twilio/voice?tenant=7', query, form)))).toBe(
      'ZH_WEBHOOK_SIGNATURE_INVALID',
    )
  })

  it('passes the scheme options through (Okta: the authorization header it reads)', async () => {
    const admit = pipeline({
      scheme: 'okta',
      secrets: ['okta-header-value-0123'],
      options: { header: 'X-Okta-Auth' },
    })
    const body = '{"eventId":"e-1","data":{}}'
    const ok = await admit(incoming('/okta', { 'x-okta-auth': 'okta-header-value-0123' }, body))
    expect(ok.kind).toBe('webhook')
    const usual = { authorization: 'okta-header-value-0123' }
    expect(await codeOf(admit(incoming('/okta', usual, body)))).toBe('ZH_WEBHOOK_HEADER_MISSING')
  })

  it('answers a challenge instead of admitting it, and refuses a GET that is not one', async () => {
    const admit = pipeline({ scheme: 'dropbox', secrets: ['dropbox-app-secret'] })
    const answered = await admit(incoming('/dropbox?challenge=c-9', {}, '', 'GET'))
    expect(answered).toMatchObject({ kind: 'challenge', reply: { status: 200, body: 'c-9' } })
    expect(await codeOf(admit(incoming('/dropbox', {}, '', 'GET')))).toBe(
      'ZH_GATEWAY_METHOD_NOT_ALLOWED',
    )
  })

  it('learns a handed-over secret once and verifies with it (trust on first use)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'zh-gw-learned-'))
    try {
      const admit = pipeline(
        { scheme: 'asana', secrets: [] },
        fileLearnedSecret(join(dir, 'a.secret')),
      )
      const body = '{"events":[]}'
      const signed = (secret: string) => ({
        'x-hook-signature': createHmac('sha256', secret).update(body).digest('hex'),
      })
      expect(await codeOf(admit(incoming('/asana', signed('x'), body)))).toBe(
        'ZH_WEBHOOK_SECRET_NOT_LEARNED',
      )
      const handshake = await admit(incoming('/asana', { 'x-hook-secret': 'learned-1' }))
      expect(handshake).toMatchObject({ kind: 'challenge', reply: { learnedSecret: true } })
      expect((await admit(incoming('/asana', signed('learned-1'), body))).kind).toBe('webhook')
      expect(await codeOf(admit(incoming('/asana', { 'x-hook-secret': 'learned-2' })))).toBe(
        'ZH_WEBHOOK_SECRET_ALREADY_LEARNED',
      )
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})

describe('forwarded headers of the newer schemes', () => {
  it('keeps their signature and event headers, never a handed-over secret', () => {
    const headers = forwardHeaders(
      {
        'twitch-eventsub-message-type': 'notification',
        'x-hubspot-signature-v3': 'sig',
        'x-signature': 'lemon',
        'x-hook-signature': 'asana-sig',
        'x-hook-secret': 'asana-secret',
        authorization: 'Basic cGlwZWRyaXZlOnNlY3JldA==',
      },
      [],
      { scheme: 'twitch', id: 'gw_2' },
    )
    expect(Object.keys(headers).sort()).toEqual([
      'twitch-eventsub-message-type',
      'x-hook-signature',
      'x-hubspot-signature-v3',
      'x-signature',
      'x-zerohook-gateway-id',
      'x-zerohook-gateway-verified',
    ])
  })
})
