import { randomBytes } from 'node:crypto'
import type tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { collect, MiB, sha } from '../wire/channel-fixture.test-util.js'
import { createChannel, type Circuit } from '../wire/index.js'
import { tlsPairs } from '../wire/tls.test-util.js'
import { joinLegs } from './relay.js'

type Pairs = Awaited<ReturnType<typeof tlsPairs>>

/** Records the ArrayBuffer behind every chunk written to `socket`. */
function watchWrites(socket: tls.TLSSocket): { writes: number; buffers: Set<ArrayBufferLike> } {
  const seen = { writes: 0, buffers: new Set<ArrayBufferLike>() }
  const write = socket.write.bind(socket) as (...args: unknown[]) => boolean
  socket.write = (chunk: Buffer, ...rest: unknown[]) => {
    seen.writes++
    seen.buffers.add(chunk.buffer)
    return write(chunk, ...rest)
  }
  return seen
}

/**
 * What used to make V8 mark a busy router's heap again and again was a fresh ArrayBuffer for
 * every write (and a header buffer for every frame). The router's writes now come from a few
 * pooled slabs, whatever it relays: asserted here over real TLS, as `zerohook router run` does.
 */
describe('router relay over TLS: a steady heap', () => {
  let pairs: Pairs
  beforeAll(async () => {
    pairs = await tlsPairs()
  })
  afterAll(() => pairs.close())

  it('relays 32 MiB both ways from a few reused write buffers, byte for byte', async () => {
    const one = await pairs.connect()
    const two = await pairs.connect()
    const dialerChannel = createChannel(one.initiator, { role: 'initiator' })
    const routerIn = createChannel(one.acceptor, { role: 'acceptor' })
    const routerOut = createChannel(two.initiator, { role: 'initiator' })
    const hostChannel = createChannel(two.acceptor, { role: 'acceptor' })
    const toHost = watchWrites(two.initiator as tls.TLSSocket)
    const toDialer = watchWrites(one.acceptor as tls.TLSSocket)
    const hostSide = new Promise<Circuit>((r) => hostChannel.once('circuit', (p) => r(p.accept())))
    const legA = new Promise<Circuit>((r) => routerIn.once('circuit', (p) => r(p.accept())))
    const dialer = (await dialerChannel.open(Buffer.alloc(0))).circuit
    const a = await legA
    const b = (await routerOut.open(Buffer.alloc(0))).circuit
    const host = await hostSide
    joinLegs(
      a,
      b,
      () => undefined,
      () => undefined,
    )

    const up = randomBytes(32 * MiB)
    const down = randomBytes(4 * MiB)
    const atHost = collect(host)
    const atDialer = collect(dialer)
    dialer.end(up)
    host.end(down)
    expect(sha(await atHost)).toBe(sha(up))
    expect(sha(await atDialer)).toBe(sha(down))

    // Hundreds of writes each way (about one per turn of the event loop), from a handful of
    // slabs (a few sizes, shared with the other three channels of this process); it was one
    // fresh buffer per write.
    expect(toHost.writes).toBeGreaterThan(200)
    expect(toHost.buffers.size).toBeLessThanOrEqual(16)
    expect(toDialer.writes).toBeGreaterThan(200)
    expect(toDialer.buffers.size).toBeLessThanOrEqual(16)
    for (const c of [dialerChannel, routerIn, routerOut, hostChannel]) c.close()
  })
})
