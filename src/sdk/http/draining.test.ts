import http from 'node:http'
import type { Duplex } from 'node:stream'
import { fetch } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createOverlayAgent } from './agent.js'
import { createOverlayDispatcher } from './dispatcher.js'
import { isDraining, markDraining } from './draining.js'
import { createFakeOverlay, type FakeOverlay } from './http.test-util.js'
import { serveOverlay } from './serve.js'
import type { OverlaySocket } from './socket.js'

const URL = 'http://jenkins-webhook/hook'
// A request issued in the very turn the previous one ended may find its connection not yet
// released to the pool (on TCP too): requests here come a turn apart, as from I/O.
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))
/** Resolves once the connection is closed; fails the test if that takes a second. */
const closed = (s: Duplex) =>
  s.destroyed
    ? Promise.resolve()
    : new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the connection stayed open')), 1_000)
        s.once('close', () => {
          clearTimeout(timer)
          resolve()
        })
      })

/**
 * Connections over a retired router link drain: HTTP finishes what is in flight on them and
 * starts nothing new there, so no request ever meets the link being cut.
 */
describe('draining overlay connections', () => {
  let overlay: FakeOverlay
  let server: http.Server
  const dialed: OverlaySocket[] = []
  const accepted: OverlaySocket[] = []
  let hold: Promise<void> = Promise.resolve()

  beforeEach(async () => {
    overlay = await createFakeOverlay({ e2e: true })
    dialed.length = 0
    accepted.length = 0
    hold = Promise.resolve()
    overlay.connections.on('connection', (s) => accepted.push(s))
    server = http.createServer((req, res) => {
      req.resume()
      req.on('end', () => void hold.then(() => res.end('ok')))
    })
    // Only draining may close a connection here, not the server's idle timeout.
    server.keepAliveTimeout = 60_000
    serveOverlay(server, overlay.connections)
  })
  afterEach(() => {
    for (const s of [...dialed, ...accepted]) s.destroy()
    overlay.close()
  })

  const dial = async (service: string) => {
    const socket = await overlay.dial(service)
    dialed.push(socket)
    return socket
  }

  it('the fetch dispatcher finishes the request in flight, then moves to a new connection', async () => {
    const dispatcher = createOverlayDispatcher(dial)
    const post = async () => {
      await nextTurn()
      return (await fetch(URL, { method: 'POST', body: 'x', dispatcher })).text()
    }
    expect(await post()).toBe('ok')
    expect(await post()).toBe('ok')
    expect(dialed).toHaveLength(1) // kept alive
    let release!: () => void
    hold = new Promise((resolve) => (release = resolve))
    const inFlight = post()
    while (accepted.length === 0) await new Promise((r) => setTimeout(r, 5))
    markDraining(dialed[0]!)
    release()
    expect(await inFlight).toBe('ok')
    expect(await post()).toBe('ok')
    expect(dialed).toHaveLength(2)
    await closed(dialed[0]!) // the old connection is closed once idle
    expect(await post()).toBe('ok')
    expect(dialed).toHaveLength(2) // the new one is kept alive in turn
    await dispatcher.close()
  })

  it('the served side answers the next request with Connection: close', async () => {
    const dispatcher = createOverlayDispatcher(dial)
    const res1 = await fetch(URL, { method: 'POST', body: 'x', dispatcher })
    await res1.text()
    expect(res1.headers.get('connection')).not.toBe('close')
    markDraining(accepted[0]!)
    await nextTurn()
    const res2 = await fetch(URL, { method: 'POST', body: 'x', dispatcher })
    expect(await res2.text()).toBe('ok')
    expect(res2.headers.get('connection')).toBe('close')
    await closed(dialed[0]!)
    await nextTurn()
    expect(await (await fetch(URL, { method: 'POST', body: 'x', dispatcher })).text()).toBe('ok')
    expect(dialed).toHaveLength(2)
    await dispatcher.close()
  })

  it('the http.Agent closes an idle draining connection and does not pool a busy one', async () => {
    const agent = createOverlayAgent(dial)
    const post = async () => {
      await nextTurn()
      return new Promise<string>((resolve, reject) => {
        const req = http.request(URL, { method: 'POST', agent }, (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () => resolve(text))
        })
        req.on('error', reject)
        req.end('x')
      })
    }
    expect(await post()).toBe('ok')
    await new Promise((r) => setImmediate(r))
    markDraining(dialed[0]!) // idle in the pool
    await closed(dialed[0]!)
    expect(await post()).toBe('ok')
    expect(dialed).toHaveLength(2)
    let release!: () => void
    hold = new Promise((resolve) => (release = resolve))
    const inFlight = post()
    while (accepted.length < 2) await new Promise((r) => setTimeout(r, 5))
    markDraining(dialed[1]!) // busy
    release()
    expect(await inFlight).toBe('ok')
    await closed(dialed[1]!)
    expect(isDraining(dialed[1])).toBe(true)
    expect(await post()).toBe('ok')
    expect(dialed).toHaveLength(3)
    agent.destroy()
  })
})
