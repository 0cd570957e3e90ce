import { createHmac, randomUUID } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MockAgent } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { certificateFor } from '../webhooks/guards/tls.test-util.js'
import type { GatewayConfig } from './config.js'
import type { ForwardLog } from './forwarder.js'
import { startGateway, type RunningGateway } from './server.js'

const SECRET = 'github-secret'
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
      },
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
