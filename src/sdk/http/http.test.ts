import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import express from 'express'
import { fetch } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createOverlayAgent } from './agent.js'
import { createOverlayDispatcher } from './dispatcher.js'
import { createFakeOverlay, type FakeOverlay } from './http.test-util.js'
import { getPeerIdentity, serveOverlay } from './serve.js'

interface Echo {
  bytes: number
  sha256: string
  peer: string | undefined
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex')

function expressApp(): http.Server {
  const app = express()
  app.post('/echo', express.raw({ type: () => true, limit: '2mb' }), (req, res) => {
    const body = req.body as Buffer
    res.json({ bytes: body.length, sha256: sha256(body), peer: getPeerIdentity(req)?.identityId })
  })
  return http.createServer(app)
}

function plainServer(): http.Server {
  return http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const echo: Echo = {
        bytes: body.length,
        sha256: sha256(body),
        peer: getPeerIdentity(req)?.identityId,
      }
      res.setHeader('content-type', 'application/json')
      res.end(JSON.stringify(echo))
    })
  })
}

/** POST with http.request through the agent; resolves with the parsed answer. */
function postWithAgent(agent: http.Agent, body: Buffer, host = 'jenkins-webhook'): Promise<Echo> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host, path: '/echo', method: 'POST', agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString()) as Echo))
    })
    req.on('error', reject)
    req.end(body)
  })
}

describe.each([
  ['Express', expressApp, true],
  ['a plain http.Server', plainServer, true],
  ['a plain http.Server over bare duplexes', plainServer, false],
])('%s served over the overlay', (_name, makeServer, e2e) => {
  let overlay: FakeOverlay
  let server: http.Server
  let stop: () => void

  beforeAll(async () => {
    overlay = await createFakeOverlay({ e2e })
    server = makeServer()
    stop = serveOverlay(server, overlay.connections)
  })
  afterAll(() => {
    stop()
    server.closeAllConnections()
    overlay.close()
  })

  it('never listens, and stops taking connections when told', () => {
    expect(server.listening).toBe(false)
    expect(overlay.connections.listenerCount('connection')).toBe(1)
    const stopAnother = serveOverlay(server, overlay.connections)
    stopAnother()
    expect(overlay.connections.listenerCount('connection')).toBe(1)
  })

  it('serves concurrent requests over several circuits', async () => {
    const dispatcher = createOverlayDispatcher(overlay.dial)
    const before = overlay.dials()
    const bodies = Array.from({ length: 6 }, () => randomBytes(64 * 1024))
    const answers = await Promise.all(
      bodies.map(async (body) => {
        const res = await fetch('http://jenkins-webhook/echo', { method: 'POST', body, dispatcher })
        return (await res.json()) as Echo
      }),
    )
    expect(answers.map((a) => a.sha256)).toEqual(bodies.map(sha256))
    expect(overlay.dials() - before).toBeGreaterThan(1)
    await dispatcher.close()
  })

  it.each([1, 1024 * 1024])('answers fetch with the dispatcher, POST of %i bytes', async (size) => {
    const dispatcher = createOverlayDispatcher(overlay.dial)
    const body = randomBytes(size)
    const res = await fetch('http://jenkins-webhook/echo', { method: 'POST', body, dispatcher })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ bytes: size, sha256: sha256(body), peer: 'ci-job' })
    await dispatcher.close()
  })

  it.each([1, 1024 * 1024])(
    'answers http.request with the agent, POST of %i bytes',
    async (size) => {
      const agent = createOverlayAgent(overlay.dial)
      const body = randomBytes(size)
      expect(await postWithAgent(agent, body)).toEqual({
        bytes: size,
        sha256: sha256(body),
        peer: 'ci-job',
      })
      agent.destroy()
    },
  )

  // Requests a turn apart, as they come from I/O: one issued in the very turn the previous one
  // ended may find the connection not yet released (undici and http.Agent do the same on TCP).
  it('the dispatcher keeps the circuit alive across requests', async () => {
    const dispatcher = createOverlayDispatcher(overlay.dial)
    const before = overlay.dials()
    for (let i = 0; i < 5; i++) {
      await nextTurn()
      const res = await fetch('http://jenkins-webhook/echo', {
        method: 'POST',
        body: `#${i}`,
        dispatcher,
      })
      expect(((await res.json()) as Echo).bytes).toBe(2)
    }
    expect(overlay.dials() - before).toBe(1)
    await dispatcher.close()
  })

  it('the agent keeps the circuit alive across requests', async () => {
    const agent = createOverlayAgent(overlay.dial)
    const before = overlay.dials()
    for (let i = 0; i < 5; i++) {
      await nextTurn()
      expect((await postWithAgent(agent, Buffer.from(`#${i}`))).bytes).toBe(2)
    }
    expect(overlay.dials() - before).toBe(1)
    agent.destroy()
  })
})

describe('errors', () => {
  let overlay: FakeOverlay
  beforeAll(async () => {
    overlay = await createFakeOverlay({ e2e: true })
  })
  afterAll(() => overlay.close())

  it('a failed dial fails fetch with the ZH code as the cause', async () => {
    const dispatcher = createOverlayDispatcher(overlay.dial)
    const err = await fetch('http://unknown-service/echo', { dispatcher }).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'TypeError', cause: { code: 'ZH_ROUTER_NO_TERMINATOR' } })
    await dispatcher.close()
  })

  it.each(['https://jenkins-webhook/echo', 'http://-jenkins/echo'])(
    'fetch refuses %s with ZH_E2E_URL_INVALID before dialing',
    async (url) => {
      const dispatcher = createOverlayDispatcher(overlay.dial)
      const before = overlay.dials()
      const err = await fetch(url, { dispatcher }).catch((e: unknown) => e)
      expect(err).toMatchObject({ cause: { code: 'ZH_E2E_URL_INVALID' } })
      expect(overlay.dials()).toBe(before)
      await dispatcher.close()
    },
  )

  it('a failed dial is the http.request error, with the ZH code', async () => {
    const agent = createOverlayAgent(overlay.dial)
    await expect(postWithAgent(agent, Buffer.from('x'), 'unknown-service')).rejects.toMatchObject({
      code: 'ZH_ROUTER_NO_TERMINATOR',
    })
    agent.destroy()
  })

  it('the end-to-end code surfaces through fetch (the hoster holds no bind grant)', async () => {
    const failing = createOverlayDispatcher(async () => {
      throw Object.assign(new Error('refused'), { code: 'ZH_E2E_PEER_GRANT_INVALID' })
    })
    const err = await fetch('http://jenkins-webhook/', { dispatcher: failing }).catch(
      (e: unknown) => e,
    )
    expect(err).toMatchObject({ cause: { code: 'ZH_E2E_PEER_GRANT_INVALID' } })
    await failing.close()
  })
})
