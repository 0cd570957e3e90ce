import http from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { ZhError } from '../errors.js'
import { codeOf } from '../errors.test-util.js'
import { webhookHandler } from '../webhooks/middleware/node.js'
import { createMemoryReplayStore } from '../webhooks/replay/memory.js'
import type { ReceivedWebhook } from '../webhooks/middleware/receiver.js'
import { createOverlayAgent } from './http/agent.js'
import { createFakeOverlay, type FakeOverlay } from './http/http.test-util.js'
import { serveOverlay } from './http/serve.js'
import { deliverWebhook, DeliveryError, type DeliverWebhookOptions } from './webhook-delivery.js'

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const GH_SECRET = 'It is a secret to everybody'

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void

/**
 * The real pieces the delivery composes: the overlay http.Agent over an in-memory overlay, and a
 * node:http server served over it, whose routes a test swaps.
 */
describe('deliverWebhook', () => {
  let overlay: FakeOverlay
  let route: Route
  const seen: { headers: http.IncomingHttpHeaders; webhook?: ReceivedWebhook }[] = []
  const replay = createMemoryReplayStore()
  const zh = { httpAgent: () => createOverlayAgent((s) => overlay.dial(s)) }
  const base = { service: 'jenkins-webhook', backoffMs: 10, timeoutMs: 5_000 } as const
  const send = (o: Partial<DeliverWebhookOptions>) =>
    deliverWebhook(zh, { ...base, secret: SECRET, type: 'build.done', ...o })

  const verifying = (scheme: 'standard' | 'github', secret: string): Route =>
    webhookHandler({
      scheme,
      secret,
      replay,
      handler: (webhook, req) => void seen.push({ headers: req.headers, webhook }),
    })

  beforeAll(async () => {
    overlay = await createFakeOverlay({ e2e: false })
    const server = http.createServer((req, res) => route(req, res))
    serveOverlay(server, overlay.connections)
  })
  afterAll(() => overlay.close())
  beforeEach(() => {
    seen.length = 0
  })

  it('delivers a Standard Webhooks message the receiver verifies', async () => {
    route = verifying('standard', SECRET)
    const res = await send({ path: '/hook', data: { build: 42 } })
    expect(res).toMatchObject({ status: 204, attempts: 1, duplicate: false })
    expect(res.id).toMatch(/^msg_/)
    expect(seen).toHaveLength(1)
    expect(seen[0]!.webhook!.id).toBe(res.id)
    expect(seen[0]!.webhook!.body).toMatchObject({ type: 'build.done', data: { build: 42 } })
  })

  it('delivers a GitHub event byte for byte, with the event and delivery headers', async () => {
    route = verifying('github', GH_SECRET)
    const payload = '{"ref":"refs/heads/main",  "after":"abc"}'
    const res = await send({ scheme: 'github', secret: GH_SECRET, type: 'push', payload })
    expect(res.status).toBe(204)
    const { headers, webhook } = seen[0]!
    expect(webhook!.raw.toString()).toBe(payload)
    expect(headers['x-github-event']).toBe('push')
    expect(headers['x-github-delivery']).toBe(res.id)
    expect(res.id).toMatch(/^[0-9a-f-]{36}$/)
  })

  it('retries 5xx and 429 with the same id, honouring Retry-After, then succeeds', async () => {
    const ids: string[] = []
    const delays: number[] = []
    route = (req, res) => {
      ids.push(String(req.headers['webhook-id']))
      req.resume()
      if (ids.length === 1) res.writeHead(503).end()
      else if (ids.length === 2) res.writeHead(429, { 'retry-after': '1' }).end()
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('thanks')
    }
    const res = await send({ retries: 3, onRetry: ({ delayMs }) => delays.push(delayMs) })
    expect(res).toMatchObject({ status: 200, attempts: 3, body: 'thanks' })
    expect(new Set(ids)).toEqual(new Set([res.id]))
    expect(delays[1]).toBeGreaterThanOrEqual(1000)
  })

  it('treats 409 ZH_WEBHOOK_REPLAYED as already delivered', async () => {
    route = verifying('standard', SECRET)
    const first = await send({ id: 'msg_replayed_once', data: {} })
    const again = await send({ id: 'msg_replayed_once', data: {} })
    expect(first).toMatchObject({ status: 204, duplicate: false })
    expect(again).toMatchObject({ status: 409, duplicate: true, attempts: 1 })
  })

  it('fails at once on 3xx and other 4xx, with the answer attached', async () => {
    let calls = 0
    route = (req, res) => {
      calls++
      req.resume()
      if (req.url === '/moved') res.writeHead(302, { location: 'http://x/' }).end()
      else res.writeHead(401).end('nope')
    }
    const err = await send({ path: '/auth', retries: 3 }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DeliveryError)
    expect(err).toMatchObject({ code: 'ZH_SEND_REJECTED', attempts: 1 })
    expect((err as DeliveryError).response).toMatchObject({ status: 401, body: 'nope' })
    expect(await codeOf(send({ path: '/moved', retries: 3 }))).toBe('ZH_SEND_REJECTED')
    expect(calls).toBe(2)
  })

  it('retries a service nobody hosts, then fails with ZH_SEND_FAILED', async () => {
    const before = overlay.dials()
    const err = await send({ service: 'nobody-home', retries: 2 }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ZH_SEND_FAILED', attempts: 3 })
    expect((err as Error).message).toContain('ZH_ROUTER_NO_TERMINATOR')
    expect(overlay.dials() - before).toBe(3)
  })

  it('does not retry an authorization refusal: ZH_SDK_NO_GRANT as it is', async () => {
    let dials = 0
    const refused = {
      httpAgent: () =>
        createOverlayAgent(() => {
          dials++
          return Promise.reject(new ZhError('ZH_SDK_NO_GRANT', 'jenkins-webhook'))
        }),
    }
    const p = deliverWebhook(refused, { ...base, secret: SECRET, type: 't', retries: 3 })
    expect(await codeOf(p)).toBe('ZH_SDK_NO_GRANT')
    expect(dials).toBe(1)
  })

  it('times out a silent receiver on each attempt', async () => {
    route = (req) => req.resume() // never answers
    const err = await send({ timeoutMs: 300, retries: 1 }).catch((e: unknown) => e)
    expect(err).toMatchObject({ code: 'ZH_SEND_FAILED', attempts: 2 })
    expect((err as Error).message).toContain('timeout')
  })

  it('reads back at most maxResponseBytes', async () => {
    route = (req, res) => {
      req.resume()
      res.writeHead(200)
      res.end(Buffer.alloc(512 * 1024, 'a'))
    }
    const res = await send({ maxResponseBytes: 1000 })
    expect(res.body).toHaveLength(1000)
    expect(res.truncated).toBe(true)
  })

  it('sends the next webhook on the circuit of the last with a shared agent', async () => {
    route = verifying('standard', SECRET)
    let dials = 0
    const agent = createOverlayAgent((s) => (dials++, overlay.dial(s)))
    const warm = { ...zh, deliveryAgent: () => agent }
    try {
      for (let i = 0; i < 3; i++) {
        const res = await deliverWebhook(warm, { ...base, secret: SECRET, type: 'build.done' })
        expect(res.status).toBe(204)
      }
      expect(seen).toHaveLength(3)
      expect(dials).toBe(1)
    } finally {
      agent.destroy()
    }
  })

  it('resends at once, as the same attempt, when the kept-alive circuit closed under it', async () => {
    const ids: string[] = []
    route = (req, res) => {
      ids.push(String(req.headers['webhook-id']))
      // The pooled connection dies as the second webhook arrives, as an idle timeout would.
      if (ids.length === 2) return void req.socket.destroy()
      req.resume()
      res.writeHead(204).end()
    }
    let dials = 0
    const agent = createOverlayAgent((s) => (dials++, overlay.dial(s)))
    const warm = { ...zh, deliveryAgent: () => agent }
    try {
      await deliverWebhook(warm, { ...base, secret: SECRET, type: 't', retries: 0 })
      const res = await deliverWebhook(warm, { ...base, secret: SECRET, type: 't', retries: 0 })
      expect(res).toMatchObject({ status: 204, attempts: 1 })
      expect(ids).toHaveLength(3)
      expect(ids[2]).toBe(ids[1])
      expect(res.id).toBe(ids[2])
      expect(dials).toBe(2)
    } finally {
      agent.destroy()
    }
  })

  it('does not resend a first connection that fails: that is an attempt of its own', async () => {
    let requests = 0
    route = (req) => {
      requests++
      req.socket.destroy()
    }
    const err = (await send({ retries: 1 }).catch((e: unknown) => e)) as DeliveryError
    expect(err.code).toBe('ZH_SEND_FAILED')
    expect(err.attempts).toBe(2)
    expect(requests).toBe(2)
  })

  it('refuses bad input before any dial', async () => {
    const before = overlay.dials()
    const bad: [Partial<DeliverWebhookOptions>, string][] = [
      [{ payload: '{not json' }, 'ZH_SEND_PAYLOAD_INVALID'],
      [{ headers: { 'X-Hub-Signature-256': 'sha256=00' } }, 'ZH_SEND_HEADER_INVALID'],
      [{ headers: { 'x-a': 'line\r\nbreak' } }, 'ZH_SEND_HEADER_INVALID'],
      [{ headers: { 'bad name': 'v' } }, 'ZH_SEND_HEADER_INVALID'],
      [{ path: 'no-slash' }, 'ZH_SEND_OPTIONS_INVALID'],
      [{ service: 'user@elsewhere' }, 'ZH_SEND_OPTIONS_INVALID'],
      [{ retries: -1 }, 'ZH_SEND_OPTIONS_INVALID'],
      [{ type: '' }, 'ZH_SEND_OPTIONS_INVALID'],
      [{ data: { big: 'x'.repeat(2000) }, maxBodyBytes: 1000 }, 'ZH_SEND_PAYLOAD_TOO_LARGE'],
    ]
    for (const [opts, code] of bad) expect(await codeOf(send(opts))).toBe(code)
    expect(overlay.dials()).toBe(before)
  })
})
