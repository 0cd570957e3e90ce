import { afterEach, describe, expect, it } from 'vitest'
import { bearerToken, ipAllowList } from '../guards/inbound.js'
import { createMemoryReplayStore } from '../replay/memory.js'
import { signWebhook } from '../sign.js'
import {
  frameworks,
  post,
  type Behaviour,
  type Reply,
  type Running,
} from './frameworks.test-util.js'
import type { ReceiverOptions } from './receiver.js'

const NOW = 1_700_000_000
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const OLD = 'whsec_dGhpcyBpcyBhIHNlY29uZCBzZWNyZXQga2V5IQ=='
const TOKEN = 'tok_0123456789abcdef0123'
const json = { 'content-type': 'application/json' }

let n = 0
function signed(data: unknown = { hello: 'world' }, more: { secret?: string; at?: number } = {}) {
  const body = Buffer.from(JSON.stringify({ type: 'test', data }))
  const id = `msg_${++n}`
  const headers = signWebhook({
    scheme: 'standard',
    secret: more.secret ?? SECRET,
    id,
    timestamp: more.at ?? NOW,
    body,
  })
  return { id, body, headers: { ...json, ...headers } as Record<string, string> }
}

const errorOf = (reply: Reply) => (JSON.parse(reply.text) as { error: { code: string } }).error

for (const [name, start] of Object.entries(frameworks)) {
  describe(`receiver middleware: ${name}`, () => {
    let running: Running | undefined
    afterEach(async () => {
      await running?.close()
      running = undefined
    })
    const up = async (more: Partial<ReceiverOptions> = {}, behaviour: Behaviour = {}) => {
      const options: ReceiverOptions = {
        scheme: 'standard',
        secrets: [OLD, SECRET],
        replay: createMemoryReplayStore(),
        now: () => NOW,
        maxBodyBytes: 4096,
        ...more,
      }
      running = await start(options, behaviour)
      return running
    }
    const expectRefusal = (reply: Reply, status: number, code: string) => {
      expect({ status: reply.status, code: errorOf(reply).code }).toEqual({ status, code })
      expect(reply.headers['zerohook-code']).toBe(code)
    }

    it('hands the handler the verified id, timestamp, scheme and parsed JSON body', async () => {
      const r = await up()
      const m = signed({ n: 1 })
      const reply = await post(r.url, m.headers, m.body)
      expect(reply.status).toBe(204)
      expect(r.seen).toHaveLength(1)
      expect(r.seen[0]).toMatchObject({ id: m.id, timestamp: NOW, scheme: 'standard' })
      expect(r.seen[0]!.body).toEqual({ type: 'test', data: { n: 1 } })
      expect(r.seen[0]!.raw.equals(m.body)).toBe(true)
    })

    it('gives the raw bytes when the content type is not JSON', async () => {
      const r = await up()
      const m = signed()
      const reply = await post(r.url, { ...m.headers, 'content-type': 'text/plain' }, m.body)
      expect(reply.status).toBe(204)
      const bare = signed()
      const bareHeaders = { ...bare.headers }
      delete bareHeaders['content-type']
      expect((await post(r.url, bareHeaders, bare.body)).status).toBe(204)
      expect(r.seen.map((w) => Buffer.isBuffer(w.body))).toEqual([true, true])
    })

    it('bad signature: 401, and the answer does not say which secret was tried', async () => {
      const r = await up()
      const wrongA = signed({}, { secret: 'whsec_' + Buffer.alloc(24, 1).toString('base64') })
      const wrongB = signed({}, { secret: 'whsec_' + Buffer.alloc(24, 2).toString('base64') })
      const a = await post(r.url, wrongA.headers, wrongA.body)
      const b = await post(r.url, wrongB.headers, wrongB.body)
      expectRefusal(a, 401, 'ZH_WEBHOOK_SIGNATURE_INVALID')
      expect(a.text).toBe(b.text)
      expect(Object.keys(JSON.parse(a.text) as object)).toEqual(['error'])
      expect(Object.keys(errorOf(a)).sort()).toEqual(['code', 'message'])
      for (const leak of [SECRET, OLD, 'whsec', SECRET.slice(6, 20)]) {
        expect(a.text).not.toContain(leak)
      }
      expect(r.seen).toHaveLength(0)
    })

    it('stale and future timestamps: 401', async () => {
      const r = await up()
      const stale = signed({}, { at: NOW - 301 })
      const future = signed({}, { at: NOW + 301 })
      expectRefusal(await post(r.url, stale.headers, stale.body), 401, 'ZH_WEBHOOK_TIMESTAMP_STALE')
      expectRefusal(
        await post(r.url, future.headers, future.body),
        401,
        'ZH_WEBHOOK_TIMESTAMP_FUTURE',
      )
      expect(r.seen).toHaveLength(0)
    })

    it('replay: 409, the handler ran once', async () => {
      const r = await up()
      const m = signed()
      expect((await post(r.url, m.headers, m.body)).status).toBe(204)
      expectRefusal(await post(r.url, m.headers, m.body), 409, 'ZH_WEBHOOK_REPLAYED')
      expect(r.seen).toHaveLength(1)
    })

    it('oversized by Content-Length: 413 before reading, the handler never runs', async () => {
      const r = await up()
      const m = signed({ pad: 'x'.repeat(5000) })
      expectRefusal(await post(r.url, m.headers, m.body), 413, 'ZH_WEBHOOK_BODY_TOO_LARGE')
      expect(r.seen).toHaveLength(0)
    })

    it('oversized while streaming (chunked): 413 as the cap is crossed', async () => {
      const r = await up()
      const m = signed()
      const chunks = Array.from({ length: 1024 }, () => Buffer.alloc(1024, 0x20))
      const reply = await post(r.url, m.headers, [m.body, ...chunks])
      expectRefusal(reply, 413, 'ZH_WEBHOOK_BODY_TOO_LARGE')
      // Answered long before the client could send its 1 MiB: the server stopped reading.
      expect(reply.written).toBeLessThan(512)
      expect(r.seen).toHaveLength(0)
    })

    it('malformed: a missing header, a bad timestamp, a signed body that is not JSON: 400', async () => {
      const r = await up()
      const m = signed()
      const noId = { ...m.headers }
      delete noId['webhook-id']
      expectRefusal(await post(r.url, noId, m.body), 400, 'ZH_WEBHOOK_HEADER_MISSING')
      const badTime = { ...m.headers, 'webhook-timestamp': `${NOW}abc` }
      expectRefusal(await post(r.url, badTime, m.body), 400, 'ZH_WEBHOOK_TIMESTAMP_INVALID')
      const body = Buffer.from('{not json')
      const headers = {
        ...json,
        ...signWebhook({ scheme: 'standard', secret: SECRET, timestamp: NOW, body }),
      }
      expectRefusal(await post(r.url, headers, body), 400, 'ZH_WEBHOOK_BODY_INVALID')
      expect(r.seen).toHaveLength(0)
    })

    it('a failing handler: 500, and the same message sent again is accepted', async () => {
      const r = await up({}, { fail: true })
      const m = signed()
      expectRefusal(await post(r.url, m.headers, m.body), 500, 'ZH_WEBHOOK_HANDLER_FAILED')
      expect(JSON.parse(await post(r.url, m.headers, m.body).then((x) => x.text))).toMatchObject({
        error: { code: 'ZH_WEBHOOK_HANDLER_FAILED' },
      })
      expect(r.seen.map((w) => w.id)).toEqual([m.id, m.id])
    })

    it('guards run before the body: IP allow-list 403, bearer token 401', async () => {
      const r = await up({ guards: [ipAllowList(['10.0.0.0/8'])] })
      const m = signed()
      expectRefusal(await post(r.url, m.headers, m.body), 403, 'ZH_WEBHOOK_IP_FORBIDDEN')
      await r.close()
      const t = await up({ guards: [ipAllowList(['127.0.0.0/8', '::1']), bearerToken(TOKEN)] })
      expectRefusal(await post(t.url, m.headers, m.body), 401, 'ZH_WEBHOOK_TOKEN_MISSING')
      const wrong = { ...m.headers, authorization: `Bearer ${TOKEN}x` }
      expectRefusal(await post(t.url, wrong, m.body), 401, 'ZH_WEBHOOK_TOKEN_INVALID')
      const right = { ...m.headers, authorization: `Bearer ${TOKEN}` }
      expect((await post(t.url, right, m.body)).status).toBe(204)
      expect(t.seen).toHaveLength(1)
    })

    it('a repeat while the first is still being handled: 409 in progress, not replayed', async () => {
      const r = await up({}, { delayMs: 300 })
      const m = signed()
      const first = post(r.url, m.headers, m.body)
      await new Promise((resolve) => setTimeout(resolve, 100))
      expectRefusal(await post(r.url, m.headers, m.body), 409, 'ZH_WEBHOOK_IN_PROGRESS')
      expect((await first).status).toBe(204)
    })
  })
}
