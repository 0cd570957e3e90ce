import { createHmac, randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { MockAgent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certificateFor } from '../webhooks/guards/tls.test-util.js'
import { signWebhook } from '../webhooks/sign.js'
import type { GatewayConfig, GatewayRoute } from './config.js'
import type { ForwardLog } from './forwarder.js'
import { learnedSecretFile, startGateway, type RunningGateway } from './server.js'

const SECRET = 'github-secret'
const TWILIO = 'twilio-auth-token'
const SLACK = 'slack-signing-secret'
const PUBLIC = 'https://hooks.example.com'
const plainRoute: GatewayRoute = {
  path: '/',
  scheme: 'standard',
  secrets: [],
  publicKeys: [],
  allow: undefined,
  tokens: undefined,
  tolerance: undefined,
  target: { service: 'jenkins-webhook', path: '/hook' },
  forwardHeaders: [],
  options: {},
  url: undefined,
}
const quiet: ForwardLog = { info: () => undefined, warn: () => undefined, error: () => undefined }

let dir: string
let config: GatewayConfig
let gateway: RunningGateway
let agent: MockAgent
let server: { cert: string; key: string }
let client: { cert: string; key: string }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zh-gw-server-'))
  server = await certificateFor('localhost')
  client = await certificateFor('provider') // self-signed: it is also the client CA
  agent = new MockAgent()
  agent.disableNetConnect()
  config = {
    listen: { host: '127.0.0.1', port: 0 },
    tls: { cert: server.cert, key: server.key, ca: client.cert },
    state: join(dir, 'state'),
    maxBodyBytes: 1024,
    forward: { timeoutMs: 2000, delaysMs: [0, 60_000], maxAttempts: 2 },
    routes: [
      {
        path: '/github',
        scheme: 'github',
        secrets: [SECRET],
        publicKeys: [],
        allow: undefined,
        tokens: undefined,
        tolerance: undefined,
        target: { service: 'jenkins-webhook', path: '/hook' },
        forwardHeaders: [],
        options: {},
        url: undefined,
      },
      { ...plainRoute, path: '/twilio', scheme: 'twilio', secrets: [TWILIO], url: PUBLIC },
      { ...plainRoute, path: '/slack', scheme: 'slack', secrets: [SLACK] },
      { ...plainRoute, path: '/dropbox', scheme: 'dropbox', secrets: ['dropbox-app-secret'] },
      { ...plainRoute, path: '/asana', scheme: 'asana', secrets: [] },
      { ...plainRoute, path: '/intercom', scheme: 'intercom', secrets: ['intercom-secret'] },
    ],
  }
  gateway = await startGateway({ config, dispatcher: agent, log: quiet })
})

afterAll(async () => {
  await gateway?.close()
  await agent?.close()
  rmSync(dir, { recursive: true, force: true })
})

function post(
  path: string,
  body: string,
  opts: { method?: string; cert?: boolean } = {},
): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: gateway.port,
        path,
        method: opts.method ?? 'POST',
        ca: server.cert,
        servername: 'localhost',
        agent: false,
        ...(opts.cert === false ? {} : { cert: client.cert, key: client.key }),
        headers: {
          'content-type': 'application/json',
          'x-github-delivery': randomUUID(),
          'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
        },
      },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

const code = (json: unknown) => (json as { error?: { code?: string } }).error?.code

describe('gateway listener (HTTPS, mTLS on)', () => {
  it('forwards a verified webhook from a client with a certificate and relays the answer', async () => {
    agent
      .get('http://jenkins-webhook')
      .intercept({ path: '/hook', method: 'POST' })
      .reply(200, { ok: true }, { headers: { 'content-type': 'application/json' } })
    const res = await post('/github', '{"a":1}')
    expect(res).toEqual({ status: 200, json: { ok: true } })
  })

  it('refuses a client without a certificate with 401 and a JSON error', async () => {
    const res = await post('/github', '{"a":2}', { cert: false })
    expect(res.status).toBe(401)
    expect(code(res.json)).toBe('ZH_WEBHOOK_CLIENT_CERT_REQUIRED')
    expect((res.json as { error: { message: string } }).error.message).toMatch(/certificate/)
  })

  it('answers 404 for an unknown path and 405 for a GET', async () => {
    const unknown = await post('/gitlab', '{}')
    expect(unknown.status).toBe(404)
    expect(code(unknown.json)).toBe('ZH_GATEWAY_ROUTE_NOT_FOUND')
    const get = await post('/github', '', { method: 'GET' })
    expect(get.status).toBe(405)
    expect(code(get.json)).toBe('ZH_GATEWAY_METHOD_NOT_ALLOWED')
  })

  it('answers 202 with the id when the target fails, keeping the webhook queued', async () => {
    agent
      .get('http://jenkins-webhook')
      .intercept({ path: '/hook', method: 'POST' })
      .reply(502, 'no upstream')
    const res = await post('/github', '{"a":3}')
    expect(res.status).toBe(202)
    const { accepted, id } = res.json as { accepted: boolean; id: string }
    expect(accepted).toBe(true)
    expect(id).toMatch(/^gw_/)
  })
})

describe('gateway listener with a full forward queue', () => {
  it('answers 503 ZH_OUTBOX_FULL, never 2xx, for a webhook it could not store', async () => {
    const full = await startGateway({
      config: {
        ...config,
        state: join(dir, 'state-full'),
        forward: { timeoutMs: 2000, delaysMs: [0, 60_000], maxAttempts: 2, maxPending: 1 },
      },
      dispatcher: agent,
      log: quiet,
    })
    const previous = gateway
    gateway = full
    try {
      agent
        .get('http://jenkins-webhook')
        .intercept({ path: '/hook', method: 'POST' })
        .reply(502, '')
      expect((await post('/github', '{"q":1}')).status).toBe(202) // stored, pending a retry
      const refused = await post('/github', '{"q":2}')
      expect(refused.status).toBe(503)
      expect(code(refused.json)).toBe('ZH_OUTBOX_FULL')
    } finally {
      gateway = previous
      await full.close()
    }
  })
})

/** Any request to the gateway, with the client certificate; the answer as text. */
function call(
  path: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port: gateway.port,
        path,
        method: opts.method ?? 'POST',
        ca: server.cert,
        servername: 'localhost',
        agent: false,
        cert: client.cert,
        key: client.key,
        headers: opts.headers,
      },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }))
      },
    )
    req.on('error', reject)
    req.end(opts.body ?? '')
  })
}

const errorCode = (text: string) => code(JSON.parse(text))

describe('gateway listener: routes whose scheme signs the public URL (Twilio)', () => {
  const form = 'CallSid=CA123&From=%2B14155550100&Body=hello'
  const signedFor = (url: string) => ({
    'content-type': 'application/x-www-form-urlencoded',
    ...signWebhook({ scheme: 'twilio', secret: TWILIO, url, body: form, id: randomUUID() }),
  })

  it('forwards a request signed over the route url + its path and query', async () => {
    let forwarded: unknown
    agent
      .get('http://jenkins-webhook')
      .intercept({ path: '/hook', method: 'POST' })
      .reply(({ body }) => {
        forwarded = Buffer.from(body as Uint8Array).toString()
        return {
          statusCode: 200,
          data: 'ok',
          responseOptions: { headers: { 'content-type': 'text/plain' } },
        }
      })
    const res = await call('/twilio?account=7', {
      headers: signedFor(`${PUBLIC}/twilio?account=7`),
      body: form,
    })
    expect([res.status, res.text]).toEqual([200, 'ok'])
    expect(forwarded).toBe(form)
  })

  it('refuses one signed over another URL with 401, forwarding nothing', async () => {
    const res = await call('/twilio?account=7', {
      headers: signedFor('https://gateway.internal:8443/twilio?account=7'),
      body: form,
    })
    expect([res.status, errorCode(res.text)]).toEqual([401, 'ZH_WEBHOOK_SIGNATURE_INVALID'])
  })
})

describe('gateway listener: challenges are answered, never forwarded', () => {
  it('answers a signed Slack url_verification with its challenge', async () => {
    const body = '{"token":"t","challenge":"ch-77","type":"url_verification"}'
    const headers = {
      'content-type': 'application/json',
      ...signWebhook({ scheme: 'slack', secret: SLACK, body }),
    }
    const res = await call('/slack', { headers, body })
    // Forwarded, it would be the (absent) target's answer or a 202: it is the challenge's.
    expect([res.status, JSON.parse(res.text)]).toEqual([200, { challenge: 'ch-77' }])
    const forged = await call('/slack', {
      headers: { ...headers, ...signWebhook({ scheme: 'slack', secret: 'wrong', body }) },
      body,
    })
    expect(forged.status).toBe(401)
  })

  it('takes GET only for the URL check of a scheme that makes one (Dropbox)', async () => {
    const res = await call('/dropbox?challenge=dbx-1', { method: 'GET' })
    expect([res.status, res.text]).toEqual([200, 'dbx-1'])
    expect(res.headers['x-content-type-options']).toBe('nosniff')
    const plain = await call('/dropbox', { method: 'GET' })
    expect([plain.status, errorCode(plain.text)]).toEqual([405, 'ZH_GATEWAY_METHOD_NOT_ALLOWED'])
    const put = await call('/dropbox?challenge=dbx-2', { method: 'PUT' })
    expect(put.status).toBe(405)
  })

  it('takes HEAD only where the scheme checks the URL with it (Intercom)', async () => {
    expect((await call('/intercom', { method: 'HEAD' })).status).toBe(200)
    expect((await call('/github', { method: 'HEAD' })).status).toBe(405)
    expect((await call('/dropbox', { method: 'HEAD' })).status).toBe(405)
  })

  it('keeps an Asana secret in the state directory on first use, refuses a second handshake', async () => {
    const file = learnedSecretFile(config.state, { path: '/asana' })
    const body = '{"events":[{"action":"added"}]}'
    const signed = (secret: string) => ({
      'x-hook-signature': createHmac('sha256', secret).update(body).digest('hex'),
    })
    const early = await call('/asana', { headers: signed('guess'), body })
    expect([early.status, errorCode(early.text)]).toEqual([401, 'ZH_WEBHOOK_SECRET_NOT_LEARNED'])

    const handshake = await call('/asana', { headers: { 'x-hook-secret': 'asana-s3cret' } })
    expect([handshake.status, handshake.headers['x-hook-secret']]).toEqual([200, 'asana-s3cret'])
    expect(readFileSync(file, 'utf8').trim()).toBe('asana-s3cret')
    expect(statSync(file).mode & 0o777).toBe(0o600)
    expect(statSync(dirname(file)).mode & 0o777).toBe(0o700)

    agent.get('http://jenkins-webhook').intercept({ path: '/hook', method: 'POST' }).reply(204, '')
    expect((await call('/asana', { headers: signed('asana-s3cret'), body })).status).toBe(204)

    const again = await call('/asana', { headers: { 'x-hook-secret': 'someone-else' } })
    expect([again.status, errorCode(again.text)]).toEqual([
      403,
      'ZH_WEBHOOK_SECRET_ALREADY_LEARNED',
    ])
    expect(readFileSync(file, 'utf8').trim()).toBe('asana-s3cret')
  })
})
