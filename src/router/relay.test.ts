import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { collect, sha, until } from '../wire/channel-fixture.test-util.js'
import { createChannel, createMemoryPair, DEFAULT_WINDOW, type Circuit } from '../wire/index.js'
import { joinLegs } from './relay.js'

/**
 * dialer ⇄ [leg a | router | leg b] ⇄ host, over two in-memory channels, as a router joins a
 * dial to a terminator. Returns the four circuits and what the router's tap saw.
 */
async function relayed(beforeJoin?: (host: Circuit) => void) {
  const one = createMemoryPair()
  const two = createMemoryPair()
  const dialerChannel = createChannel(one.a, { role: 'initiator' })
  const routerIn = createChannel(one.b, { role: 'acceptor' })
  const routerOut = createChannel(two.a, { role: 'initiator' })
  const hostChannel = createChannel(two.b, { role: 'acceptor' })
  const hostSide = new Promise<Circuit>((r) => hostChannel.once('circuit', (p) => r(p.accept())))
  const legA = new Promise<Circuit>((r) => routerIn.once('circuit', (p) => r(p.accept())))
  const dialer = (await dialerChannel.open(Buffer.alloc(0))).circuit
  const a = await legA
  const b = (await routerOut.open(Buffer.alloc(0))).circuit
  const host = await hostSide
  beforeJoin?.(host)
  const tapped = { toHost: 0, toDialer: 0 }
  let closed = 0
  // What the host sent before the join must be waiting in leg b's buffer when it happens.
  if (beforeJoin) await until(() => b.readableLength > 0)
  joinLegs(
    a,
    b,
    (direction, chunk) => {
      if (direction === 'dialer-to-host') tapped.toHost += chunk.length
      else tapped.toDialer += chunk.length
    },
    () => closed++,
  )
  return { dialer, a, b, host, tapped, closed: () => closed }
}

describe('joinLegs (spliced relay)', () => {
  it('carries both directions byte for byte, half-closes in order, and closes both legs', async () => {
    const r = await relayed()
    const up = randomBytes(3 * DEFAULT_WINDOW + 777)
    const down = randomBytes(2 * DEFAULT_WINDOW + 5)
    const atHost = collect(r.host)
    const atDialer = collect(r.dialer)
    r.dialer.end(up)
    expect(sha(await atHost)).toBe(sha(up)) // the FIN came after every byte
    r.host.end(down) // the other direction still flows after the half-close
    expect(sha(await atDialer)).toBe(sha(down))
    expect(r.tapped).toEqual({ toHost: up.length, toDialer: down.length })
    await until(() => r.closed() === 1)
    expect(r.a.destroyed && r.b.destroyed).toBe(true)
  })

  it('relays what a leg buffered before the join, first', async () => {
    const early = Buffer.from('sent before the join')
    const r = await relayed((host) => host.write(early))
    const atDialer = collect(r.dialer)
    r.host.end(Buffer.from(' and after'))
    expect((await atDialer).toString()).toBe('sent before the join and after')
    r.dialer.end()
  })

  it('holds at most one window for a reader that stopped, and resumes when it reads', async () => {
    const r = await relayed()
    r.host.pause()
    const data = randomBytes(8 * DEFAULT_WINDOW)
    let written = false
    r.dialer.write(data, () => (written = true))
    await until(() => r.b.relayQueued + r.host.readableLength >= DEFAULT_WINDOW)
    await new Promise((res) => setTimeout(res, 100))
    // The host holds its window; the router its own window at most; the dialer waits for credit.
    expect(r.host.readableLength).toBeLessThanOrEqual(DEFAULT_WINDOW)
    expect(r.b.relayQueued + r.a.readableLength).toBeLessThanOrEqual(DEFAULT_WINDOW)
    expect(written).toBe(false)
    const got = collect(r.host)
    r.host.resume() // after an explicit pause(), a 'data' listener alone does not
    r.dialer.end()
    expect(sha(await got)).toBe(sha(data))
    r.host.end()
  })

  it('resets the other leg with the same code when one leg is reset', async () => {
    const r = await relayed()
    const failed = once(r.dialer, 'error')
    r.host.reset('ZH_ROUTER_PERMISSION_REVOKED', 'host went away')
    const [err] = (await failed) as [{ code: string }]
    expect(err.code).toBe('ZH_ROUTER_PERMISSION_REVOKED')
    await until(() => r.closed() === 1)
  })

  it('drops and credits what arrives for a leg already gone, so its peer can still finish', async () => {
    const r = await relayed()
    r.b.destroy() // the host's channel went away without an error
    const data = randomBytes(4 * DEFAULT_WINDOW)
    const sent = new Promise<void>((res) => r.dialer.end(data, () => res()))
    await sent // more than a window went through: credit came back for the dropped bytes
    await until(() => r.closed() === 1)
  })
})
