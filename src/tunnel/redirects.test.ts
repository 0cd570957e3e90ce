import http from 'node:http'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { createFakeOverlay } from '../sdk/http/http.test-util.js'
import { serveOverlay } from '../sdk/http/serve.js'
import {
  REDIRECTS,
  redirectingReceiver,
  startPrivateTarget,
  type PrivateTarget,
} from '../webhooks/guards/redirects.test-util.js'
import { interceptTunnel } from './intercept.js'
import { send, startApp, startFront } from './tunnel.test-util.js'

/**
 * The tunnel forwards HTTP both ways (host: overlay → app; intercept: local client → service).
 * A 3xx from the far side pointing at a private address goes back to the caller as it came: the
 * tunnel never follows it, so the private target (a real server) gets no request.
 */

const SERVICE = 'jenkins-webhook'

let target: PrivateTarget
beforeAll(async () => {
  target = await startPrivateTarget()
})
afterAll(() => target.close())
beforeEach(() => {
  target.hits.length = 0
})

describe('tunnel: a 3xx to a private address is relayed, never followed', () => {
  it('tunnel host: the app redirects, the caller gets the 3xx and its Location', async () => {
    const app = await startApp((seen, res) => {
      const status = Number(seen.url.split('/').at(-1))
      res.writeHead(status, { location: `${target.url}/stolen` }).end()
    })
    const front = await startFront(app.port)
    try {
      for (const status of REDIRECTS) {
        const reply = await send(front.port, { path: `/hook/${status}`, body: '{"a":1}' })
        expect(reply.status).toBe(status)
        expect(reply.headers.location).toBe(`${target.url}/stolen`)
      }
      expect(app.seen.map((s) => `${s.method} ${s.url}`)).toEqual(
        REDIRECTS.map((s) => `POST /hook/${s}`),
      )
      expect(target.hits).toEqual([])
    } finally {
      await front.close()
      await app.close()
    }
  })

  it('tunnel intercept --http: the service redirects, the local client gets the 3xx', async () => {
    const overlay = await createFakeOverlay({ e2e: false })
    const receiver = redirectingReceiver(target.url)
    const served = http.createServer(receiver.listener)
    serveOverlay(served, overlay.connections)
    const dialed: string[] = []
    const tunnel = await interceptTunnel((s) => (dialed.push(s), overlay.dial(s)), {
      service: SERVICE,
      host: '127.0.0.1',
      port: 0,
      http: true,
      graceMs: 1_000,
    })
    try {
      for (const status of REDIRECTS) {
        const reply = await send(tunnel.address.port, { path: `/hook/${status}`, body: '{}' })
        expect(reply.status).toBe(status)
        expect(reply.headers.location).toBe(`${target.url}/stolen`)
      }
      expect(receiver.hits).toEqual(REDIRECTS.map((s) => `POST /hook/${s}`))
      // Following would dial the private host as a service, or connect to it.
      expect(new Set(dialed)).toEqual(new Set([SERVICE]))
      expect(target.hits).toEqual([])
    } finally {
      await tunnel.close()
      served.closeAllConnections()
      overlay.close()
    }
  })
})
