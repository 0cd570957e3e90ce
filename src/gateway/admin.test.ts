import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MockAgent, request } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { parseGatewayAdmin } from './admin-config.js'
import { startGatewayAdmin, type RunningGatewayAdmin } from './admin.js'
import { createForwarder, type ForwardLog, type Forwarder } from './forwarder.js'
import { openForwardQueue, type ForwardQueue, type ListedWebhook } from './queue.js'

interface Reply {
  deliveries: ListedWebhook[]
  replayed?: boolean
  error: { code: string }
}

const quiet: ForwardLog = { info: () => undefined, warn: () => undefined, error: () => undefined }
const ORIGIN = 'http://jenkins-webhook'
const TOKEN = 'admin-token-0123456789abcdef0123456789'
const ctx = { baseDir: '/', env: {} }

let dir: string
let queue: ForwardQueue
let agent: MockAgent
let forwarder: Forwarder
let admin: RunningGatewayAdmin

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'zh-gw-admin-'))
  queue = openForwardQueue(join(dir, 'outbox.db'))
  agent = new MockAgent()
  agent.disableNetConnect()
  forwarder = createForwarder({
    queue,
    dispatcher: agent,
    config: { timeoutMs: 2000, delaysMs: [0, 10], maxAttempts: 2 },
    log: quiet,
    forget: async () => undefined,
  })
  const config = parseGatewayAdmin({ listen: '127.0.0.1:0', token: { value: TOKEN } }, ctx)!
  admin = await startGatewayAdmin(config, { queue, forwarder })
})
afterEach(async () => {
  await admin.close()
  await forwarder.close()
  queue.close()
  await agent.close()
  rmSync(dir, { recursive: true, force: true })
})

const call = async (method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}) => {
  const res = await request(`${admin.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, ...headers },
  })
  return { status: res.statusCode, body: (await res.body.json()) as Reply }
}

async function until(check: () => boolean): Promise<void> {
  const end = Date.now() + 10_000
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

const webhook = (id: string) => ({
  id,
  route: '/github',
  url: `${ORIGIN}/hook`,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from('{"n":1}'),
  replayKeys: [],
})

describe('gateway admin API', () => {
  it('lists webhooks with every attempt, and replays a failed one to delivered', async () => {
    const pool = agent.get(ORIGIN)
    pool.intercept({ path: '/hook', method: 'POST' }).reply(503, 'busy').times(2)
    forwarder.start()
    await forwarder.accept(webhook('gw_a'))
    await until(() => queue.get('gw_a')?.state === 'failed')

    const failed = await call('GET', '/v1/deliveries?state=failed')
    expect(failed.status).toBe(200)
    expect(failed.body.deliveries).toHaveLength(1)
    const listed = failed.body.deliveries[0]!
    expect(listed).toMatchObject({ id: 'gw_a', route: '/github', state: 'failed', bodyBytes: 7 })
    expect(listed.attempts.map((a) => a.status)).toEqual([503, 503])
    expect(listed).not.toHaveProperty('body')
    expect(listed).not.toHaveProperty('headers')

    pool.intercept({ path: '/hook', method: 'POST' }).reply(200, 'ok')
    expect((await call('POST', '/v1/deliveries/gw_a/replay')).body).toEqual({ replayed: true })
    await until(() => queue.get('gw_a')?.state === 'delivered')
    const after = await call('GET', '/v1/deliveries')
    expect(after.body.deliveries[0]!.attempts.map((a) => a.status)).toEqual([503, 503, 200])
    // Delivered is not replayable; an unknown id neither.
    expect((await call('POST', '/v1/deliveries/gw_a/replay')).body).toEqual({ replayed: false })
    expect((await call('POST', '/v1/deliveries/gw_nope/replay')).body).toEqual({ replayed: false })
  })

  it('a replay gets a fresh retry schedule, not one attempt', async () => {
    const pool = agent.get(ORIGIN)
    pool.intercept({ path: '/hook', method: 'POST' }).reply(503, 'busy').times(4)
    forwarder.start()
    await forwarder.accept(webhook('gw_b'))
    await until(() => queue.get('gw_b')?.state === 'failed')
    await call('POST', '/v1/deliveries/gw_b/replay')
    await until(() => queue.get('gw_b')?.state === 'failed' && queue.get('gw_b')!.attempts === 4)
    expect(queue.get('gw_b')!.attempts).toBe(4)
  })

  it('pages newest first and filters by state and route', async () => {
    for (const id of ['gw_1', 'gw_2', 'gw_3']) queue.add(webhook(id), Date.now())
    const first = await call('GET', '/v1/deliveries?limit=2')
    expect(first.body.deliveries.map((d) => d.id)).toEqual(['gw_3', 'gw_2'])
    const next = await call('GET', '/v1/deliveries?limit=2&before=gw_2')
    expect(next.body.deliveries.map((d) => d.id)).toEqual(['gw_1'])
    expect((await call('GET', '/v1/deliveries?route=/other')).body.deliveries).toEqual([])
    expect((await call('GET', '/v1/deliveries?state=in-flight')).body.deliveries).toHaveLength(3)
  })

  it('refuses a missing or wrong token, a foreign Host, bad filters and unknown routes', async () => {
    const bare = await request(`${admin.url}/v1/deliveries`)
    expect(bare.statusCode).toBe(401)
    expect(((await bare.body.json()) as Reply).error.code).toBe('ZH_GATEWAY_ADMIN_TOKEN_INVALID')
    const wrong = await call('GET', '/v1/deliveries', { authorization: `Bearer ${TOKEN}x` })
    expect(wrong.body.error.code).toBe('ZH_GATEWAY_ADMIN_TOKEN_INVALID')
    const rebound = await call('GET', '/v1/deliveries', { host: 'evil.example:80' })
    expect(rebound).toMatchObject({ status: 400, body: { error: { code: 'ZH_BAD_REQUEST' } } })
    expect((await call('GET', '/v1/deliveries?state=lost')).body.error.code).toBe('ZH_BAD_REQUEST')
    expect((await call('GET', '/v1/deliveries?limit=0')).body.error.code).toBe('ZH_BAD_REQUEST')
    expect((await call('GET', '/v1/deliveries/x')).status).toBe(404)
    expect((await call('POST', '/v1/deliveries/../replay')).status).toBe(404)
  })

  it('accepts only a loopback listener and a long token', () => {
    const parse = (admin: unknown) => () => parseGatewayAdmin(admin, ctx)
    expect(parse({ listen: '0.0.0.0:0', token: { value: TOKEN } })).toThrow(/admin.listen/)
    expect(parse({ listen: '127.0.0.1:0', token: { value: 'short' } })).toThrow(/admin.token/)
    expect(parse({ listen: '127.0.0.1:0' })).toThrow(/admin.token/)
    expect(parse({ token: { value: TOKEN }, extra: 1 })).toThrow(/admin.extra/)
    expect(parse({ token: { value: TOKEN } })()).toMatchObject({ listen: { port: 0 } })
  })
})
