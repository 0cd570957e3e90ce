import { afterEach, describe, expect, it } from 'vitest'
import {
  deadPort,
  send,
  startApp,
  startFront,
  type Front,
  type StubApp,
} from './tunnel.test-util.js'

let app: StubApp | undefined
let front: Front | undefined

afterEach(async () => {
  await front?.close()
  await app?.close()
  front = app = undefined
})

describe('tunnel host handler (in front of a real app on 127.0.0.1:0)', () => {
  it("forwards the request with the caller's proven identity; spoofed ones never arrive", async () => {
    app = await startApp()
    front = await startFront(app.port)
    const reply = await send(front.port, {
      path: '/hook?x=1',
      headers: {
        'content-type': 'application/json',
        'X-Zerohook-Identity': 'admin',
        'X-Zerohook-Identity-Id': 'id-admin',
        'X-Zerohook-Anything': 'forged',
        connection: 'keep-alive, x-hop',
        'x-hop': 'private',
        'proxy-authorization': 'Basic c2VjcmV0',
      },
      body: '{"a":1}',
    })
    expect(reply.status).toBe(200)
    expect(reply.body.toString()).toBe('{"a":1}')
    expect(reply.headers['x-app']).toBe('yes')
    expect(reply.headers['x-app-hop']).toBeUndefined()
    const seen = app.seen[0]!
    expect(seen.url).toBe('/hook?x=1')
    expect(seen.headers['x-zerohook-identity']).toBe('ci-job')
    expect(seen.headers['x-zerohook-identity-id']).toBe('id-ci-job')
    expect(seen.headers['x-zerohook-anything']).toBeUndefined()
    expect(seen.headers['x-hop']).toBeUndefined()
    expect(seen.headers['proxy-authorization']).toBeUndefined()
    expect(seen.headers.host).toBe(`127.0.0.1:${app.port}`)
  })

  it('streams large bodies both ways, chunked or not', async () => {
    app = await startApp()
    front = await startFront(app.port, { maxBodyBytes: 4 * 1024 * 1024 })
    const parts = Array.from({ length: 48 }, (_, i) => Buffer.alloc(64 * 1024, i))
    const reply = await send(front.port, { body: parts })
    expect(reply.status).toBe(200)
    expect(reply.body.equals(Buffer.concat(parts))).toBe(true)
  })

  it('logs one line per request with method, path, caller, status and ms; no body or query', async () => {
    app = await startApp()
    front = await startFront(app.port)
    await send(front.port, { path: '/hook?token=SECRET-Q', body: 'BODY-MARKER' })
    const lines = front.lines.filter((l) => l.msg === 'tunnel request')
    expect(lines).toHaveLength(1)
    expect(lines[0]!.obj).toMatchObject({
      method: 'POST',
      path: '/hook',
      caller: 'ci-job',
      status: 200,
    })
    expect(typeof lines[0]!.obj.ms).toBe('number')
    expect(JSON.stringify(front.lines)).not.toMatch(/SECRET-Q|BODY-MARKER/)
  })

  it('refuses a declared body over the cap with 413 before the app sees anything', async () => {
    app = await startApp()
    front = await startFront(app.port, { maxBodyBytes: 1024 })
    const reply = await send(front.port, { body: Buffer.alloc(2048) })
    expect(reply.status).toBe(413)
    expect(reply.code).toBe('ZH_BODY_TOO_LARGE')
    expect(app.seen).toHaveLength(0)
  })

  it('cuts a chunked body that grows past the cap', async () => {
    app = await startApp()
    front = await startFront(app.port, { maxBodyBytes: 64 * 1024 })
    const parts = Array.from({ length: 8 }, () => Buffer.alloc(16 * 1024, 1))
    const outcome = await send(front.port, { body: parts }).then(
      (r) => r.status,
      () => 'connection cut',
    )
    expect([413, 'connection cut']).toContain(outcome)
    // Whatever reached the app was never a complete request over the cap.
    for (const seen of app.seen) expect(seen.body.length).toBeLessThanOrEqual(64 * 1024)
  })

  it('answers 502 ZH_TUNNEL_UPSTREAM_UNAVAILABLE when the app is down', async () => {
    front = await startFront(await deadPort())
    const reply = await send(front.port, { body: 'x' })
    expect(reply.status).toBe(502)
    expect(reply.code).toBe('ZH_TUNNEL_UPSTREAM_UNAVAILABLE')
  })

  it('answers 504 ZH_TUNNEL_UPSTREAM_TIMEOUT when the app never answers', async () => {
    app = await startApp(() => undefined)
    front = await startFront(app.port, { upstreamTimeoutMs: 300 })
    const reply = await send(front.port, { body: 'x' })
    expect(reply.status).toBe(504)
    expect(reply.code).toBe('ZH_TUNNEL_UPSTREAM_TIMEOUT')
  })

  it('refuses a request without a proven caller', async () => {
    app = await startApp()
    front = await startFront(app.port, { callerOf: () => undefined })
    const reply = await send(front.port, { body: 'x' })
    expect(reply.status).toBe(403)
    expect(reply.code).toBe('ZH_E2E_REFUSED')
    expect(app.seen).toHaveLength(0)
  })

  it('lets an in-flight request finish on drain and refuses new ones with 503', async () => {
    let release: () => void = () => undefined
    app = await startApp((_seen, res) => {
      release = () => res.end('late')
    })
    front = await startFront(app.port)
    const slow = send(front.port, { body: 'x' })
    while (front.tunnel.inFlight() === 0 || app.seen.length === 0)
      await new Promise((r) => setTimeout(r, 10))
    const drained = front.tunnel.drain(10_000)
    const refused = await send(front.port, { body: 'y' })
    expect(refused.status).toBe(503)
    expect(refused.code).toBe('ZH_TUNNEL_CLOSING')
    release()
    expect((await slow).body.toString()).toBe('late')
    await drained
    expect(front.tunnel.inFlight()).toBe(0)
  })
})
