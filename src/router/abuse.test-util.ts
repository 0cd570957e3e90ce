import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest'
import type { IdentityFile } from '../sdk/identity-file.js'
import { encodeFrame, FrameType, type Channel, type Circuit } from '../wire/index.js'
import { encodeOverlay } from '../wire/overlay.js'
import { encodeCredit } from '../wire/payloads.js'
import { rawHeader } from '../wire/raw-peer.test-util.js'
import { rawLink, startRouterBed, tlsLink, type RouterBed } from './router.test-util.js'
import { addService, dial, echo, Flow, grantFor, host, Probe, until } from './traffic.test-util.js'

/** The router's receive window per circuit (the default). */
export const WINDOW = 256 * 1024

/** A well-formed frame. */
export const frame = (type: FrameType, circuit: number, payload?: Uint8Array): Buffer =>
  encodeFrame({ type, circuit, payload })

/** A frame with any header values, checked by nothing. */
export const raw = (type: number, circuit: number, payload: Uint8Array = Buffer.alloc(0)): Buffer =>
  Buffer.concat([rawHeader(type, circuit, payload.length), payload])

/** The services the abusive endpoint may dial: `echo` echoes, `sink` accepts and never reads. */
export type Target = 'echo' | 'sink'

/** What a test of abuse gets from {@link abuseBed}. */
export interface AbuseBed {
  bed: RouterBed
  /** The abusive endpoint: a valid identity allowed to dial both services. */
  fuzzer: IdentityFile
  /** The fuzzer's own good connection, which its bad ones must not take down. */
  bystander: Channel
  echoChannel: Channel
  /** The legitimate circuit of the running test (dialer → router → echo host). */
  flow: Flow
  /** OPEN metadata of a real dial by the fuzzer. */
  dialMeta: (target: Target) => Uint8Array
  /** OPEN + CREDIT of a real dial on circuit `id`. */
  openDial: (id: number, target: Target) => Buffer
  /** A new authenticated connection of the fuzzer's. */
  connect: () => Promise<Probe>
}

/** Errors that reached the process instead of being handled: any is a router bug. */
function watchProcess(): { errors: unknown[]; stop(): void } {
  const errors: unknown[] = []
  const record = (err: unknown) => errors.push(err)
  process.on('uncaughtException', record)
  process.on('unhandledRejection', record)
  return {
    errors,
    stop: () => {
      process.off('uncaughtException', record)
      process.off('unhandledRejection', record)
    },
  }
}

/**
 * Registers, in the calling `describe`, a router with an echo and a sink service, and around
 * every test a legitimate circuit streaming through the echo service. After each test it checks
 * what abuse must never do: an uncaught error, a stall or corruption of the legit circuit, a
 * disconnection of a good endpoint (including the fuzzer's own good connection), or a session,
 * relay or host-side circuit the router failed to let go of.
 */
export function abuseBed(): AbuseBed {
  const ctx = {} as AbuseBed & { sinkChannel: Channel; legit: Channel }
  let dialer: IdentityFile
  let grants: Record<Target, string>
  let watch: ReturnType<typeof watchProcess>
  const sunk: Circuit[] = []

  ctx.dialMeta = (target) => encodeOverlay({ service: target, grant: grants[target] })
  ctx.openDial = (id, target) =>
    Buffer.concat([
      frame(FrameType.OPEN, id, ctx.dialMeta(target)),
      frame(FrameType.CREDIT, id, encodeCredit(WINDOW)),
    ])
  ctx.connect = async () => new Probe(await tlsLink(ctx.bed, ctx.fuzzer))

  beforeAll(async () => {
    const bed = await startRouterBed()
    ctx.bed = bed
    await addService(bed, 'echo')
    await addService(bed, 'sink')
    dialer = await bed.endpoint('dialer', ['echo-dial'])
    ctx.fuzzer = await bed.endpoint('fuzzer', ['echo-dial', 'sink-dial'])
    ctx.echoChannel = await host(bed, await bed.endpoint('echo-host', ['echo-host']), 'echo', echo)
    ctx.sinkChannel = await host(bed, await bed.endpoint('sink-host', ['sink-host']), 'sink', (c) =>
      sunk.push(c),
    )
    ctx.legit = await rawLink(bed, dialer)
    ctx.bystander = await rawLink(bed, ctx.fuzzer)
    grants = {
      echo: await grantFor(ctx.fuzzer, 'echo', 'dial'),
      sink: await grantFor(ctx.fuzzer, 'sink', 'dial'),
    }
  })
  afterAll(() => ctx.bed.stop())

  beforeEach(async () => {
    watch = watchProcess()
    ctx.flow = new Flow(await dial(ctx.legit, dialer, 'echo'), 4 * 1024 * 1024)
    await ctx.flow.advance(256 * 1024)
  })

  afterEach(async () => {
    const { bed, flow } = ctx
    // The legit circuit still moves after the abuse, and carried everything intact.
    await flow.advance(64 * 1024)
    const result = await flow.finish()
    watch.stop()
    expect(watch.errors).toEqual([])
    expect(result.intact).toBe(true)
    expect(result.maxStallMs).toBeLessThan(1000)
    // No good endpoint was disconnected.
    for (const ch of [ctx.echoChannel, ctx.sinkChannel, ctx.legit, ctx.bystander]) {
      expect(ch.closed).toBe(false)
    }
    // The router let go of every bad connection and circuit (a relay to the sink ends when the
    // sink closes its side, as an application would).
    for (const c of sunk.splice(0)) c.destroy()
    const { sessions, relays } = bed.router.registry
    await until(() => sessions.size === 4, 5000, 'only the 4 good sessions left')
    await until(() => relays.size === 0, 5000, 'no relay left')
    await until(() => ctx.echoChannel.circuits === 0, 5000, 'the echo host holds no circuit')
    await until(() => ctx.sinkChannel.circuits === 0, 5000, 'the sink host holds no circuit')
    // The fuzzer's identity is still welcome on its good connection.
    const { circuit } = await ctx.bystander.open(ctx.dialMeta('echo'))
    circuit.destroy()
  })

  return ctx
}
