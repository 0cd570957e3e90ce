import { createHmac } from 'node:crypto'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { fileLearnedSecret } from '../webhooks/middleware/learned-secret.js'
import { createMemoryReplayStore } from '../webhooks/replay/memory.js'
import { signWebhook } from '../webhooks/sign.js'
import type { TunnelVerifyOptions } from './verify-gate.js'
import { send, startApp, startFront, type Front, type StubApp } from './tunnel.test-util.js'

const NOW = 1_700_000_000
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const OLD_SECRET = 'whsec_dGhpcyBpcyBhIHNlY29uZCBzZWNyZXQga2V5IQ=='
const GH_SECRET = 'gh-secret-for-tests'
// Asana and Dropbox sign with a hex HMAC-SHA256 of the body, computed here independently.
const hexHmac = (secret: string, body: string) =>
  createHmac('sha256', secret).update(body).digest('hex')

let app: StubApp | undefined
let front: Front | undefined

afterEach(async () => {
  await front?.close()
  await app?.close()
  front = app = undefined
})

async function gated(
  verify: Partial<TunnelVerifyOptions>,
  answer?: Parameters<typeof startApp>[0],
) {
  app = await startApp(answer)
  front = await startFront(app.port, {
    verify: {
      scheme: 'standard',
      secrets: [SECRET],
      replay: createMemoryReplayStore(),
      now: () => NOW,
      ...verify,
    },
    maxBodyBytes: 64 * 1024,
  })
  return { app, front }
}

function standard(id: string, body: string, at = NOW, secret = SECRET) {
  return {
    headers: {
      'content-type': 'application/json',
      ...signWebhook({ scheme: 'standard', secret, id, timestamp: at, body }),
    },
    body,
  }
}

describe('tunnel host: verify before forward', () => {
  it('forwards a correctly signed webhook, bytes unchanged, secrets in rotation', async () => {
    const { app, front } = await gated({ secrets: [SECRET, OLD_SECRET] })
    const body = '{"type":"push","n": 1}'
    expect((await send(front.port, standard('msg_1', body))).status).toBe(200)
    expect((await send(front.port, standard('msg_2', body, NOW, OLD_SECRET))).status).toBe(200)
    expect(app.seen.map((s) => s.body.toString())).toEqual([body, body])
    expect(app.seen[0]!.headers['webhook-id']).toBe('msg_1')
    expect(app.seen[0]!.headers['content-length']).toBe(String(Buffer.byteLength(body)))
  })

  it('never forwards a bad signature, a tampered body or a missing signature', async () => {
    const { app, front } = await gated({})
    const wrong = await send(front.port, standard('msg_1', '{}', NOW, OLD_SECRET))
    expect([wrong.status, wrong.code]).toEqual([401, 'ZH_WEBHOOK_SIGNATURE_INVALID'])
    const signed = standard('msg_2', '{"amount":1}')
    const tampered = await send(front.port, { ...signed, body: '{"amount":9}' })
    expect([tampered.status, tampered.code]).toEqual([401, 'ZH_WEBHOOK_SIGNATURE_INVALID'])
    const bare = await send(front.port, {
      body: '{}',
      headers: { 'content-type': 'application/json' },
    })
    expect([bare.status, bare.code]).toEqual([400, 'ZH_WEBHOOK_HEADER_MISSING'])
    expect(app.seen).toHaveLength(0)
  })

  it('never forwards a replay: the second delivery of an id is 409', async () => {
    const { app, front } = await gated({})
    const msg = standard('msg_replayed', '{"x":1}')
    expect((await send(front.port, msg)).status).toBe(200)
    const again = await send(front.port, msg)
    expect([again.status, again.code]).toEqual([409, 'ZH_WEBHOOK_REPLAYED'])
    expect(app.seen).toHaveLength(1)
  })

  it('never forwards a stale or future timestamp', async () => {
    const { app, front } = await gated({})
    const stale = await send(front.port, standard('msg_old', '{}', NOW - 3600))
    expect([stale.status, stale.code]).toEqual([401, 'ZH_WEBHOOK_TIMESTAMP_STALE'])
    const future = await send(front.port, standard('msg_new', '{}', NOW + 3600))
    expect(future.code).toBe('ZH_WEBHOOK_TIMESTAMP_FUTURE')
    expect(app.seen).toHaveLength(0)
  })

  it('verifies GitHub signatures', async () => {
    const { app, front } = await gated({ scheme: 'github', secrets: [GH_SECRET] })
    const body = '{"ref":"refs/heads/main"}'
    const sig = signWebhook({ scheme: 'github', secret: GH_SECRET, body, id: 'delivery-1' })
    const ok = await send(front.port, {
      headers: { 'content-type': 'application/json', ...sig },
      body,
    })
    expect(ok.status).toBe(200)
    const bad = await send(front.port, {
      headers: { ...sig, 'x-github-delivery': 'delivery-2' },
      body: '{"ref":"refs/heads/evil"}',
    })
    expect([bad.status, bad.code]).toEqual([401, 'ZH_WEBHOOK_SIGNATURE_INVALID'])
    expect(app.seen.map((s) => s.body.toString())).toEqual([body])
  })

  it('refuses a body over the cap with 413 before verifying or forwarding', async () => {
    const { app, front } = await gated({})
    const big = standard('msg_big', JSON.stringify({ pad: 'x'.repeat(70 * 1024) }))
    const reply = await send(front.port, big)
    expect([reply.status, reply.code]).toEqual([413, 'ZH_WEBHOOK_BODY_TOO_LARGE'])
    expect(app.seen).toHaveLength(0)
  })

  it('accepts the retry of a webhook the app failed (5xx), not of one it took', async () => {
    let fail = true
    const { app, front } = await gated({}, (_s, res) => {
      res.writeHead(fail ? 500 : 204).end()
    })
    const msg = standard('msg_retry', '{}')
    expect((await send(front.port, msg)).status).toBe(500)
    fail = false
    expect((await send(front.port, msg)).status).toBe(204)
    expect((await send(front.port, msg)).code).toBe('ZH_WEBHOOK_REPLAYED')
    expect(app.seen).toHaveLength(2)
  })

  it('answers a repeat while the first delivery is still at the app as in progress', async () => {
    let release: () => void = () => undefined
    const { app, front } = await gated({}, (_s, res) => {
      release = () => res.writeHead(204).end()
    })
    const msg = standard('msg_slow', '{}')
    const first = send(front.port, msg)
    while (app.seen.length === 0) await new Promise((r) => setTimeout(r, 10))
    const repeat = await send(front.port, msg)
    expect([repeat.status, repeat.code]).toEqual([409, 'ZH_WEBHOOK_IN_PROGRESS'])
    release()
    expect((await first).status).toBe(204)
    expect(app.seen).toHaveLength(1)
  })
})

describe('tunnel host: a caller that leaves mid-delivery', () => {
  /** Posts the webhook and drops the connection once the app has it, before it answers. */
  async function leaveMidway(port: number, msg: ReturnType<typeof standard>, seen: () => number) {
    await new Promise<void>((resolve) => {
      const req = http.request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/hook',
        headers: msg.headers,
        agent: false,
      })
      req.on('error', () => resolve())
      req.end(msg.body)
      const wait = setInterval(() => {
        if (seen() === 0) return
        clearInterval(wait)
        req.destroy()
        resolve()
      }, 5)
    })
    await new Promise((r) => setTimeout(r, 50))
  }

  it.each([
    [202, 409, 1],
    [503, 204, 2],
  ])(
    'waits for the app: first answered %i, so the retry gets %i (app saw it %i times)',
    async (first, retryStatus, times) => {
      let pending: ((status: number) => void) | undefined
      let calls = 0
      const { app, front } = await gated({}, (_s, res) => {
        calls++
        if (calls === 1) pending = (status) => res.writeHead(status).end()
        else res.writeHead(204).end()
      })
      const msg = standard(`msg_left_${first}`, '{}')
      await leaveMidway(front.port, msg, () => app.seen.length)
      pending!(first)
      await new Promise((r) => setTimeout(r, 50))
      const retry = await send(front.port, msg)
      expect(retry.status).toBe(retryStatus)
      if (retryStatus === 409) expect(retry.code).toBe('ZH_WEBHOOK_REPLAYED')
      expect(app.seen).toHaveLength(times)
    },
  )
})

describe('tunnel host: handshakes and URL checks are answered, never forwarded', () => {
  const SLACK = 'slack-signing-secret'

  it('answers a signed Slack url_verification; refuses a forged one', async () => {
    const { app, front } = await gated({ scheme: 'slack', secrets: [SLACK] })
    const body = '{"token":"t","challenge":"c-123","type":"url_verification"}'
    const headers = (secret: string) => ({
      'content-type': 'application/json',
      ...signWebhook({ scheme: 'slack', secret, timestamp: NOW, body }),
    })
    const ok = await send(front.port, { headers: headers(SLACK), body })
    expect([ok.status, JSON.parse(ok.body.toString())]).toEqual([200, { challenge: 'c-123' }])
    const forged = await send(front.port, { headers: headers('wrong'), body })
    expect([forged.status, forged.code]).toEqual([401, 'ZH_WEBHOOK_SIGNATURE_INVALID'])
    expect(app.seen).toHaveLength(0)
    expect(front.lines.find((l) => l.msg === 'tunnel request')?.obj.status).toBe(200)
  })

  it('echoes a GET URL check (Dropbox), and forwards the signed events that follow', async () => {
    const { app, front } = await gated({ scheme: 'dropbox', secrets: ['app-secret'] })
    const check = await send(front.port, { method: 'GET', path: '/hook?challenge=xyz' })
    expect([check.status, check.body.toString()]).toEqual([200, 'xyz'])
    expect(check.headers['x-content-type-options']).toBe('nosniff')
    const body = '{"list_folder":{"accounts":["dbid:1"]}}'
    const event = await send(front.port, {
      headers: { 'x-dropbox-signature': hexHmac('app-secret', body) },
      body,
    })
    expect(event.status).toBe(200)
    expect(app.seen.map((s) => s.body.toString())).toEqual([body])
  })

  it('keeps the secret an Asana handshake hands over (trust on first use) and verifies with it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'zh-tunnel-learned-'))
    try {
      const file = join(dir, 'learned.secret')
      const { app, front } = await gated({
        scheme: 'asana',
        secrets: [],
        learnedSecret: fileLearnedSecret(file),
      })
      const body = '{"events":[]}'
      const signed = (secret: string) => ({
        headers: { 'x-hook-signature': hexHmac(secret, body) },
        body,
      })
      const early = await send(front.port, signed('guess'))
      expect([early.status, early.code]).toEqual([401, 'ZH_WEBHOOK_SECRET_NOT_LEARNED'])
      const handshake = await send(front.port, { headers: { 'x-hook-secret': 'handed-over' } })
      expect([handshake.status, handshake.headers['x-hook-secret']]).toEqual([200, 'handed-over'])
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      expect((await send(front.port, signed('handed-over'))).status).toBe(200)
      const second = await send(front.port, { headers: { 'x-hook-secret': 'swapped' } })
      expect([second.status, second.code]).toEqual([403, 'ZH_WEBHOOK_SECRET_ALREADY_LEARNED'])
      expect(app.seen.map((s) => s.body.toString())).toEqual([body])
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('refuses the handshake when there is nowhere to keep the secret (no --state)', async () => {
    const { app, front } = await gated({ scheme: 'asana', secrets: ['configured'] })
    const reply = await send(front.port, { headers: { 'x-hook-secret': 'lost' } })
    expect([reply.status, reply.code]).toEqual([500, 'ZH_INTERNAL'])
    expect(front.lines.find((l) => l.msg === 'tunnel request failed')?.obj.err).toMatch(
      /nowhere to keep it/,
    )
    expect(app.seen).toHaveLength(0)
  })
})
