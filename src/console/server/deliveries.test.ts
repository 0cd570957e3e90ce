import { request } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestController, type TestController } from '../../controller/controller.test-util.js'
import { createSqliteOutbox } from '../../webhooks/sender/outbox-sqlite.js'
import type { AttemptOutcome, OutboxStore } from '../../webhooks/sender/types.js'
import { startConsole, type RunningConsole } from './server.js'

const A = 'https://a.example/hook?token=s3cr3t'
const B = 'https://b.example/hook'
const T0 = Date.UTC(2025, 0, 1)

interface Answer {
  status: number
  json: { error?: { code: string } } & Record<string, unknown>
}

interface Listed {
  id: string
  endpoint: string
  state: string
  attempts: { attempt: number; at: number; status: number | null; error: string | null }[]
}

describe('console server: deliveries of a sender outbox', () => {
  let c: TestController
  let consoleServer: RunningConsole
  let dir: string
  let outbox: OutboxStore
  let host: string
  let cookie = ''
  let csrf = ''

  function call(method: string, path: string, headers: Record<string, string> = {}) {
    const url = new URL(consoleServer.url)
    return new Promise<Answer>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, method, path, headers: { host, ...headers } },
        (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Answer['json'] }),
          )
        },
      )
      req.on('error', reject)
      req.end()
    })
  }
  const own = () => ({ origin: `http://${host}`, cookie })
  const list = async (query = '') => {
    const answer = await call('GET', `/api/deliveries${query}`, own())
    expect(answer.status).toBe(200)
    return answer.json.messages as Listed[]
  }

  /** A message enqueued at `at`, attempted once with `outcome` unless omitted. */
  async function put(id: string, at: number, endpoint: string, outcome?: AttemptOutcome) {
    const body = new Uint8Array([1, 2, 3])
    await outbox.enqueue({ id, endpoint, type: 't', body, now: at, nextAt: at })
    if (!outcome) return
    await outbox.claimDue(at, 100)
    const status = { delivered: 200, failed: 500, disable: 410, retry: 503 }[outcome.kind]
    await outbox.finish(
      { messageId: id, attempt: 1, at, status, latencyMs: 7, error: null },
      outcome,
    )
  }

  beforeAll(async () => {
    c = await startTestController({ network: 'deliveries' })
    dir = await mkdtemp(join(tmpdir(), 'zh-deliveries-'))
    const path = join(dir, 'outbox.db')
    outbox = createSqliteOutbox({ database: path })
    await put('m-failed', T0, A, { kind: 'failed' })
    await put('m-dead', T0 + 1, B, { kind: 'disable' })
    await put('m-ok', T0 + 2, A, { kind: 'delivered' })
    await put('m-new', T0 + 3, A)
    consoleServer = await startConsole({ admin: c.admin, root: dir, outbox: path })
    host = new URL(consoleServer.url).host
    const token = new URL(consoleServer.loginUrl).searchParams.get('token')!
    const { headers } = await new Promise<{ headers: Record<string, unknown> }>((resolve) =>
      request(`${consoleServer.url}/login?token=${token}`, resolve).end(),
    )
    cookie = String(headers['set-cookie']).split(';')[0]!
    const session = await call('GET', '/api/session', { cookie })
    expect(session.json).toMatchObject({ deliveries: true })
    csrf = session.json.csrf as string
  })
  afterAll(async () => {
    await consoleServer?.close()
    await outbox?.close()
    await c?.stop()
    await rm(dir, { recursive: true, force: true })
  })

  it('refuses an outbox file that is not there', async () => {
    await expect(
      startConsole({ admin: c.admin, root: dir, outbox: join(dir, 'missing.db') }),
    ).rejects.toMatchObject({ code: 'ZH_FILE_INVALID' })
  })

  it('lists every message newest first with its attempts; endpoints without their query', async () => {
    const all = await list()
    expect(all.map((m) => m.id)).toEqual(['m-new', 'm-ok', 'm-dead', 'm-failed'])
    expect(all[3]).toMatchObject({
      id: 'm-failed',
      endpoint: 'https://a.example/hook',
      state: 'failed',
      createdAt: T0,
      bodyBytes: 3,
      attempts: [{ attempt: 1, at: T0, status: 500, error: null, latencyMs: 7 }],
    })
    expect(all[0]).toMatchObject({ state: 'pending', attempts: [] })
    expect(JSON.stringify(all)).not.toContain('s3cr3t')
  })

  it('filters by state and endpoint, and pages with limit and before', async () => {
    expect((await list('?state=failed')).map((m) => m.id)).toEqual(['m-failed'])
    expect((await list('?state=disabled')).map((m) => m.id)).toEqual(['m-dead'])
    const byA = await list(`?endpoint=${encodeURIComponent(A)}&state=pending`)
    expect(byA.map((m) => m.id)).toEqual(['m-new'])
    expect((await list('?limit=2')).map((m) => m.id)).toEqual(['m-new', 'm-ok'])
    expect((await list('?limit=2&before=m-ok')).map((m) => m.id)).toEqual(['m-dead', 'm-failed'])
    for (const bad of ['?state=lost', '?limit=-1', '?limit=abc']) {
      const answer = await call('GET', `/api/deliveries${bad}`, own())
      expect(answer.status).toBe(400)
      expect(answer.json.error?.code).toBe('ZH_BAD_REQUEST')
    }
  })

  it('replays a failed and a dead message with the CSRF token; nothing else', async () => {
    const change = { ...own(), 'x-csrf-token': csrf }
    const noToken = await call('POST', '/api/deliveries/m-dead/replay', own())
    expect(noToken.json.error?.code).toBe('ZH_CONSOLE_CSRF_INVALID')
    const foreign = await call('POST', '/api/deliveries/m-dead/replay', {
      ...change,
      origin: 'http://evil.example',
    })
    expect(foreign.json.error?.code).toBe('ZH_CONSOLE_ORIGIN_REFUSED')
    const noSession = await call('GET', '/api/deliveries', { origin: `http://${host}` })
    expect(noSession.json.error?.code).toBe('ZH_CONSOLE_SESSION_REQUIRED')
    expect((await outbox.get('m-dead'))!.state).toBe('disabled')

    const dead = await call('POST', '/api/deliveries/m-dead/replay', change)
    expect(dead.json).toEqual({ replayed: true })
    expect(await outbox.get('m-dead')).toMatchObject({ state: 'pending', attempts: 1 })
    expect(await outbox.isDisabled(B)).toBe(false)
    const failed = await call('POST', '/api/deliveries/m-failed/replay', change)
    expect(failed.json).toEqual({ replayed: true })
    for (const id of ['m-failed', 'm-ok', 'm-new', 'unknown']) {
      expect((await call('POST', `/api/deliveries/${id}/replay`, change)).json).toEqual({
        replayed: false,
      })
    }
    expect((await list('?state=pending')).map((m) => m.id)).toEqual(['m-new', 'm-dead', 'm-failed'])
  })
})
