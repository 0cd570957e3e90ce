import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { request } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import type { Zerohook } from '../sdk/context.js'
import { createOverlayDispatcher } from '../sdk/http/dispatcher.js'
import { createFakeOverlay, type FakeOverlay } from '../sdk/http/http.test-util.js'
import { serveOverlay } from '../sdk/http/serve.js'
import type { OverlayListener } from '../sdk/listener.js'
import { hostTunnel, type HostTunnel } from './host.js'
import { parseTarget } from './target.js'

let overlay: FakeOverlay | undefined
let app: http.Server | undefined
let tunnel: HostTunnel | undefined

afterEach(async () => {
  await tunnel?.close()
  app?.closeAllConnections()
  app?.close()
  overlay?.close()
  tunnel = app = overlay = undefined
})

/** `zh.serve` over a fake overlay: what hostTunnel needs of a context. */
function fakeContext(source: FakeOverlay): Pick<Zerohook, 'serve'> {
  return {
    serve: async (_service: string, server: http.Server) => {
      const stop = serveOverlay(server, source.connections)
      return { close: stop } as unknown as OverlayListener
    },
  }
}

describe('tunnel host connection reuse', () => {
  it("keeps the caller's circuit and the app's TCP connection across a pause of 6 s", async () => {
    overlay = await createFakeOverlay({ e2e: false })
    let appConnections = 0
    app = http.createServer((req, res) => {
      req.resume()
      req.on('end', () => res.end(`ok ${req.headers['x-zerohook-identity-id']}`))
    })
    app.keepAliveTimeout = 30_000 // an app that keeps its connections, as most do
    app.on('connection', () => appConnections++)
    await new Promise<void>((r) => app!.listen(0, '127.0.0.1', r))
    const port = (app.address() as AddressInfo).port
    tunnel = await hostTunnel(fakeContext(overlay), {
      service: 'jenkins-webhook',
      target: parseTarget(`http://127.0.0.1:${port}`),
      graceMs: 500,
    })
    const dispatcher = createOverlayDispatcher(overlay.dial)
    const post = async () => {
      const res = await request('http://jenkins-webhook/hook', {
        method: 'POST',
        body: '{}',
        dispatcher,
      })
      return { text: await res.body.text(), keepAlive: res.headers['keep-alive'] }
    }
    for (let i = 0; i < 5; i++) {
      await new Promise((r) => setImmediate(r))
      expect((await post()).text).toBe('ok ci-job')
    }
    // Webhooks come with gaps: Node's default 5 s keep-alive would close the circuit in one.
    await new Promise((r) => setTimeout(r, 6_000))
    const later = await post()
    expect(later.text).toBe('ok ci-job')
    expect(overlay.dials()).toBe(1)
    expect(appConnections).toBe(1)
    expect(later.keepAlive).toBe('timeout=60')
    await dispatcher.close()
  }, 20_000)
})
