import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent, interceptors, request } from 'undici'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { codeOfSync } from '../../errors.test-util.js'
import { createForwarder } from '../../gateway/forwarder.js'
import { openForwardQueue } from '../../gateway/queue.js'
import { createOverlayAgent } from '../../sdk/http/agent.js'
import { createOverlayDispatcher } from '../../sdk/http/dispatcher.js'
import { createFakeOverlay, type FakeOverlay } from '../../sdk/http/http.test-util.js'
import { serveOverlay } from '../../sdk/http/serve.js'
import { deliverWebhook, DeliveryError } from '../../sdk/webhook-delivery.js'
import {
  listenLocal,
  PRIVATE_HOST,
  REDIRECTS,
  redirectingReceiver,
  startPrivateTarget,
  type PrivateTarget,
} from '../guards/redirects.test-util.js'
import { createSsrfGuard } from '../guards/ssrf.js'
import { createSender } from './sender.js'
import { outboxes, SECRET } from './sender.test-util.js'
import { createHttpTransport } from './transport.js'
import type { SenderEvents } from './types.js'

/**
 * A receiver answers a webhook with a redirect to a private address (an SSRF through the
 * sender): no sending path follows it. The private target is a real server, so "not followed"
 * is measured where it matters: it gets no request at all.
 */

const NOT_FOLLOWED = 'ZH_SENDER_REDIRECT_NOT_FOLLOWED'

let target: PrivateTarget
let receiver: ReturnType<typeof redirectingReceiver>
let local: Awaited<ReturnType<typeof listenLocal>>

beforeAll(async () => {
  target = await startPrivateTarget()
  receiver = redirectingReceiver(target.url)
  local = await listenLocal(receiver.listener)
  // The target is reachable: a request that gets no answer from it later was never sent.
  const res = await request(`${target.url}/reachable`)
  expect(await res.body.text()).toBe('private data')
  expect(target.hits).toEqual(['GET /reachable'])
})
afterAll(async () => {
  await local.close()
  await target.close()
})
beforeEach(() => {
  target.hits.length = 0
  receiver.hits.length = 0
})

/** The SSRF guard of the tests: the receiver's address allowed, the private target's not. */
const testGuard = () => createSsrfGuard({ allow: ['127.0.0.1/32'], httpsOnly: false })

/** A dispatcher that follows redirects, as an app's or a proxy's shared one may. */
const following = () => new Agent().compose(interceptors.redirect({ maxRedirections: 5 }))

describe('durable sender: a 3xx to a private address is never followed', () => {
  it('the redirect target is outside the allow-list (what a real private address would be)', () => {
    const guard = testGuard()
    expect(codeOfSync(() => guard.checkAddress('127.0.0.1'))).toBe('no error')
    expect(codeOfSync(() => guard.checkAddress(PRIVATE_HOST))).toBe('ZH_SENDER_ADDRESS_BLOCKED')
  })

  const transports = {
    'its own guarded Agent': () => createHttpTransport({ guard: testGuard() }),
    'a dispatcher that follows redirects': () => createHttpTransport({ dispatcher: following() }),
  }

  for (const [outbox, open] of Object.entries(outboxes)) {
    for (const [through, make] of Object.entries(transports)) {
      it(`records ${NOT_FOLLOWED} and retries later (${outbox} outbox, ${through})`, async () => {
        const { store, done } = await open()
        const transport = make()
        const failed: SenderEvents['attempt-failed'][] = []
        const sender = createSender({
          store,
          signing: { secret: SECRET },
          transport,
          schedule: [0, 3_600_000],
          jitter: 0,
        }).on('attempt-failed', (e) => failed.push(e))
        try {
          const ids = new Map<number, string>()
          for (const status of REDIRECTS) {
            const endpoint = `http://127.0.0.1:${local.port}/hook/${status}`
            ids.set(status, await sender.send({ endpoint, type: 't', data: { secret: 42 } }))
          }
          await sender.drain()
          for (const [status, id] of ids) {
            const attempts = await store.attempts(id)
            expect(attempts.map((a) => [a.status, a.error])).toEqual([[status, NOT_FOLLOWED]])
            // Failed, and retryable: it stays pending, due on the schedule's next step.
            const message = await store.get(id)
            expect(message).toMatchObject({
              state: 'pending',
              attempts: 1,
              lastStatus: status,
              lastError: NOT_FOLLOWED,
            })
            expect(message!.nextAt).toBeGreaterThan(Date.now() + 3_000_000)
          }
          expect(failed.map((e) => [e.status, e.error])).toEqual(
            REDIRECTS.map((s) => [s, NOT_FOLLOWED]),
          )
          // One POST to the receiver per message, and nothing at all to the private address.
          expect(receiver.hits.sort()).toEqual(REDIRECTS.map((s) => `POST /hook/${s}`).sort())
          expect(target.hits).toEqual([])
        } finally {
          await sender.close()
          await transport.close()
          await done()
        }
      })
    }
  }

  it('the transport alone answers the 3xx as it came, through a dispatcher that follows redirects', async () => {
    const dispatcher = following()
    const transport = createHttpTransport({ dispatcher })
    try {
      for (const status of REDIRECTS) {
        const res = await transport({
          url: `http://127.0.0.1:${local.port}/${status}`,
          headers: { 'content-type': 'application/json' },
          body: Buffer.from('{"signed":"body"}'),
        })
        expect(res.status).toBe(status)
        expect(res.headers.location).toBe(`${target.url}/stolen`)
      }
      expect(target.hits).toEqual([])
      // The dispatcher does follow redirects when asked plainly: the transport is what stops it.
      await (await request(`http://127.0.0.1:${local.port}/307`, { dispatcher })).body.dump()
      expect(target.hits).toEqual(['GET /stolen'])
    } finally {
      await dispatcher.close()
    }
  })
})

describe('the other sending paths, over the overlay: a 3xx is never followed', () => {
  let overlay: FakeOverlay
  let served: http.Server
  let dir: string

  beforeAll(async () => {
    overlay = await createFakeOverlay({ e2e: false })
    // The receiver behind the overlay redirects to the private target's real address.
    served = http.createServer(receiver.listener)
    serveOverlay(served, overlay.connections)
    dir = mkdtempSync(join(tmpdir(), 'zh-redirects-'))
  })
  afterAll(() => {
    served.closeAllConnections()
    overlay.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it('the gateway forwarder keeps the webhook pending for a retry, and dials nothing more', async () => {
    const queue = openForwardQueue(join(dir, 'gateway.db'))
    const dialed: string[] = []
    const dispatcher = createOverlayDispatcher((s) => (dialed.push(s), overlay.dial(s)))
    const forwarder = createForwarder({
      queue,
      dispatcher,
      config: { timeoutMs: 5_000, delaysMs: [0, 3_600_000], maxAttempts: 5 },
      log: { info: () => undefined, warn: () => undefined, error: () => undefined },
      forget: () => Promise.resolve(),
    })
    try {
      for (const status of REDIRECTS) {
        const outcome = await forwarder.accept({
          id: `gw_${status}`,
          route: '/github',
          url: `http://jenkins-webhook/hook/${status}`,
          headers: { 'content-type': 'application/json' },
          body: Buffer.from('{"from":"github"}'),
          replayKeys: [],
        })
        expect(outcome).toEqual({ kind: 'queued', id: `gw_${status}` })
        expect(queue.get(`gw_${status}`)).toMatchObject({ state: 'pending', attempts: 1 })
      }
      const listed = queue.list({ limit: 10 })
      expect(listed.map((w) => w.attempts.map((a) => a.status)).sort()).toEqual(
        REDIRECTS.map((s) => [s]),
      )
      // A followed redirect would have dialed `127.0.0.2` as a service, or connected to it.
      expect(new Set(dialed)).toEqual(new Set(['jenkins-webhook']))
      expect(receiver.hits).toEqual(REDIRECTS.map((s) => `POST /hook/${s}`))
      expect(target.hits).toEqual([])
    } finally {
      await forwarder.close()
      await dispatcher.close()
      queue.close()
    }
  })

  it("the SDK's deliverWebhook rejects with ZH_SEND_REJECTED and the 3xx attached", async () => {
    const dialed: string[] = []
    const agent = createOverlayAgent((s) => (dialed.push(s), overlay.dial(s)))
    try {
      for (const status of REDIRECTS) {
        const err = await deliverWebhook(
          { httpAgent: () => agent },
          {
            service: 'jenkins-webhook',
            path: `/hook/${status}`,
            secret: SECRET,
            type: 't',
            data: {},
            backoffMs: 0,
          },
        ).catch((e: unknown) => e)
        expect(err).toBeInstanceOf(DeliveryError)
        expect(err).toMatchObject({ code: 'ZH_SEND_REJECTED', attempts: 1, response: { status } })
      }
      expect(new Set(dialed)).toEqual(new Set(['jenkins-webhook']))
      expect(receiver.hits).toEqual(REDIRECTS.map((s) => `POST /hook/${s}`))
      expect(target.hits).toEqual([])
    } finally {
      agent.destroy()
    }
  })
})
