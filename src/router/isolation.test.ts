import { createHash, randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IdentityFile } from '../sdk/identity-file.js'
import {
  createChannel,
  DEFAULT_WINDOW,
  encodeFrame,
  FrameType,
  MAX_PAYLOAD,
  type Circuit,
} from '../wire/index.js'
import type { Relay } from './registry.js'
import { rawLink, startRouterBed, tlsLink, type RouterBed } from './router.test-util.js'
import { addService, dial, echo, Flow, host, Probe, until } from './traffic.test-util.js'

const MiB = 1024 * 1024
const sha = (data: Buffer) => createHash('sha256').update(data).digest('hex')

/** Bytes the router holds for one relay, by direction (unread on one leg, unsent on the other). */
function held(relay: Relay): { toHost: number; toDialer: number } {
  return {
    toHost:
      relay.dialerLeg.readableLength + relay.hostLeg.writableLength + relay.hostLeg.relayQueued,
    toDialer:
      relay.hostLeg.readableLength + relay.dialerLeg.writableLength + relay.dialerLeg.relayQueued,
  }
}

function relayOf(bed: RouterBed, dialerCircuit: Circuit): Relay {
  const relay = [...bed.router.registry.relays].find((r) => r.dialerLeg.id === dialerCircuit.id)
  if (!relay) throw new Error(`no relay for circuit ${dialerCircuit.id}`)
  return relay
}

/** Samples `measure` every 2 ms until stopped; returns the largest value seen. */
function sampleMax(measure: () => number): () => number {
  let max = measure()
  const timer = setInterval(() => (max = Math.max(max, measure())), 2)
  return () => {
    clearInterval(timer)
    return Math.max(max, measure())
  }
}

/** Echoes `data` through `circuit` (writes respecting backpressure, reads concurrently). */
async function echoThrough(circuit: Circuit, data: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = []
  circuit.on('data', (c: Buffer) => chunks.push(c))
  const ended = once(circuit, 'end')
  for (let at = 0; at < data.length; at += 64 * 1024) {
    if (!circuit.write(data.subarray(at, at + 64 * 1024))) await once(circuit, 'drain')
  }
  circuit.end()
  await ended
  return Buffer.concat(chunks)
}

/** Resolves once nothing new was written to `circuit` for `quietMs`. */
async function stalled(circuit: Circuit, quietMs = 150): Promise<void> {
  for (;;) {
    const before = circuit.bytesWritten
    await sleep(quietMs)
    if (circuit.bytesWritten === before) return
  }
}

describe('router isolation: a reader that stops hurts only itself', { timeout: 60_000 }, () => {
  let bed: RouterBed
  let dialer: IdentityFile
  const hosted: Circuit[] = []
  let parkNext = false

  beforeAll(async () => {
    bed = await startRouterBed()
    await addService(bed, 'svc')
    const hostId = await bed.endpoint('host', ['svc-host'])
    dialer = await bed.endpoint('dialer', ['svc-dial'])
    // The host echoes every termination, except one the test parks (it never reads it).
    await host(bed, hostId, 'svc', (c) => {
      hosted.push(c)
      if (parkNext) parkNext = false
      else echo(c)
    })
  })
  afterAll(() => bed.stop())

  it('keeps a second circuit on the same connection fast while the host stops reading the first', async () => {
    const channel = await rawLink(bed, dialer)
    parkNext = true
    const a = await dial(channel, dialer, 'svc')
    await until(() => !parkNext)
    const hostA = hosted.at(-1)! // not read until the end of the test
    const b = await dial(channel, dialer, 'svc')

    // A: 4 MiB, far more than every window on the path; it must stop at the windows.
    const dataA = randomBytes(4 * MiB)
    a.write(dataA)
    await stalled(a)
    const relayA = relayOf(bed, a)
    const maxHeldA = sampleMax(() => held(relayA).toHost)

    // B: 16 MiB echoed on the same dialer connection and the same host connection.
    const dataB = randomBytes(16 * MiB)
    const started = performance.now()
    const back = await echoThrough(b, dataB)
    const ms = performance.now() - started
    console.log(`circuit B: 16 MiB echoed in ${ms.toFixed(0)} ms while circuit A is stalled`)
    expect(sha(back)).toBe(sha(dataB))
    expect(ms).toBeLessThan(10_000)

    // The router held no more for A than its window and one frame, the host no more than its
    // window, and the dialer was held back by credit (the rest of A waits in its own buffer).
    const routerMax = maxHeldA()
    console.log(`router bytes held for stalled A: max ${routerMax} (window ${DEFAULT_WINDOW})`)
    expect(routerMax).toBeGreaterThan(0)
    expect(routerMax).toBeLessThanOrEqual(DEFAULT_WINDOW + MAX_PAYLOAD)
    expect(hostA.readableLength).toBeLessThanOrEqual(DEFAULT_WINDOW)
    expect(a.bytesWritten).toBeLessThanOrEqual(2 * DEFAULT_WINDOW + MAX_PAYLOAD)
    expect(a.bytesWritten).toBeLessThan(dataA.length)

    // The host reads A again: everything arrives, in order, and the circuit ends cleanly.
    const gotA: Buffer[] = []
    hostA.on('data', (c: Buffer) => gotA.push(c))
    const endedA = once(hostA, 'end')
    a.end()
    await endedA
    expect(sha(Buffer.concat(gotA))).toBe(sha(dataA))
    hostA.end()
    channel.close()
  })

  it('bounds what it holds for a dialer that stops reading its connection, and others flow', async () => {
    // A legitimate flow on its own connection, running throughout.
    const other = await rawLink(bed, dialer)
    const flow = new Flow(await dial(other, dialer, 'svc'), 8 * MiB)

    const socket = await tlsLink(bed, dialer)
    const channel = createChannel(socket, { role: 'initiator' })
    const deaf = await dial(channel, dialer, 'svc')
    deaf.on('error', () => undefined)
    socket.pause() // stops reading the TCP connection: no DATA and no CREDIT get through
    const relay = relayOf(bed, deaf)
    const maxHeld = sampleMax(() => held(relay).toHost + held(relay).toDialer)
    deaf.write(randomBytes(8 * MiB))
    await stalled(deaf)
    await flow.advance(4 * MiB, 10_000)
    const max = maxHeld()
    console.log(`router bytes held for a deaf dialer's circuit: max ${max}`)
    // One window and one frame each way, whatever the dialer tries to push.
    expect(max).toBeLessThanOrEqual(2 * (DEFAULT_WINDOW + MAX_PAYLOAD))
    expect(deaf.bytesWritten).toBeLessThanOrEqual(2 * DEFAULT_WINDOW + MAX_PAYLOAD)

    const result = await flow.finish()
    expect(result.intact).toBe(true)
    expect(result.maxStallMs).toBeLessThan(1000)
    socket.destroy()
    other.close()
  })

  it('closes with ZH_WIRE_PEER_NOT_READING a connection that floods PINGs but never reads', async () => {
    const before = new Set(bed.router.registry.sessions)
    const probe = new Probe(await tlsLink(bed, dialer))
    const fresh = () => [...bed.router.registry.sessions].find((s) => !before.has(s))
    await until(() => fresh() !== undefined)
    const session = fresh()!
    const closed = new Promise<string | undefined>((resolve) =>
      session.channel.once('close', (err) => resolve(err?.code)),
    )
    let routerClosed = false
    void closed.then(() => (routerClosed = true))
    probe.socket.pause()

    // 64 KiB of PINGs a write; every one asks for a PONG that the router cannot deliver.
    const pings = Buffer.concat(
      Array.from({ length: 3276 }, () =>
        encodeFrame({ type: FrameType.PING, circuit: 0, payload: Buffer.alloc(8, 1) }),
      ),
    )
    const cap = 256 * MiB
    let sent = 0
    while (!routerClosed && sent < cap && !probe.socket.destroyed) {
      if (!probe.socket.write(pings)) {
        await Promise.race([once(probe.socket, 'drain'), closed, sleep(50)])
      }
      sent += pings.length
      if (sent % (4 * MiB) < pings.length) await new Promise((r) => setImmediate(r))
    }
    expect(await closed).toBe('ZH_WIRE_PEER_NOT_READING')
    const pongBytes = session.channel.stats.bytesOut
    console.log(
      `peer not reading: closed after ${(sent / MiB).toFixed(1)} MiB of PINGs, ` +
        `${(pongBytes / MiB).toFixed(1)} MiB of answers written`,
    )
    expect(sent).toBeLessThan(cap)
    // The endpoint finds out why when it reads again.
    probe.socket.resume()
    await probe.closed
    expect(probe.goaway).toBe('ZH_WIRE_PEER_NOT_READING')
    // Everything else on the router is untouched.
    const check = await rawLink(bed, dialer)
    const circuit = await dial(check, dialer, 'svc')
    expect((await echoThrough(circuit, Buffer.from('still here'))).toString()).toBe('still here')
    check.close()
  })
})
