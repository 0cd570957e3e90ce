import { createHmac } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { codeOf } from '../errors.test-util.js'
import { createMemoryReplayStore } from '../webhooks/replay/memory.js'
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
    const { body: got, verified } = await admit(request({ token: TOKEN, body }))
    expect(got.toString()).toBe(body)
    expect(verified.id).toBe('72d3162e-cc78-11e3-81ab-4c9367dc0958')
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
