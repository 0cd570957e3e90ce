import net from 'node:net'
import tls from 'node:tls'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IdentityFile } from '../sdk/identity-file.js'
import { rawLink, startRouterBed, type RouterBed } from './router.test-util.js'
import { addService, dial, echo, Flow, host, until } from './traffic.test-util.js'

const HANDSHAKE_MS = 500
const SILENT = 400
const SLOW = 100
const NO_CERT = 200
const MiB = 1024 * 1024

/** The first bytes a TLS client sends (a ClientHello record header and a little more). */
const HELLO_START = Buffer.from('160301020001', 'hex')

/** A flood connection: when it opened, and when the router closed it (we never do). */
interface Flooder {
  kind: 'silent' | 'slow' | 'no-cert'
  opened: number
  closed?: number
}

function flooder(kind: Flooder['kind'], port: number): Flooder {
  const f: Flooder = { kind, opened: performance.now() }
  const socket =
    kind === 'no-cert'
      ? tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1.3' })
      : net.connect(port, '127.0.0.1')
  socket.on('error', () => undefined)
  socket.once('close', () => (f.closed = performance.now()))
  if (kind === 'slow') {
    // Slowloris: a byte of handshake every 100 ms, never a whole ClientHello.
    let at = 0
    const drip = setInterval(() => {
      if (socket.destroyed) return clearInterval(drip)
      socket.write(HELLO_START.subarray(at % HELLO_START.length, (at % HELLO_START.length) + 1))
      at++
    }, 100)
    drip.unref()
  }
  return f
}

async function refusals(bed: RouterBed): Promise<Record<string, number>> {
  const { values } = await bed.router.metrics.connectionsRefused.get()
  return Object.fromEntries(values.map((v) => [String(v.labels.reason), v.value]))
}

describe('router edge under a connection flood', { timeout: 30_000 }, () => {
  let bed: RouterBed
  let dialer: IdentityFile

  beforeAll(async () => {
    bed = await startRouterBed({ limits: { handshakeTimeoutMs: HANDSHAKE_MS } })
    await addService(bed, 'svc')
    await host(bed, await bed.endpoint('host', ['svc-host']), 'svc', echo)
    dialer = await bed.endpoint('dialer', ['svc-dial'])
  })
  afterAll(() => bed.stop())

  it(`sheds ${SILENT + SLOW} stalled handshakes and ${NO_CERT} certificate-less clients while a circuit flows`, async () => {
    const channel = await rawLink(bed, dialer)
    const flow = new Flow(await dial(channel, dialer, 'svc'), 8 * MiB)
    await flow.advance(MiB)
    const before = await refusals(bed)

    const started = performance.now()
    const echoedAtStart = flow.echoed
    const flood: Flooder[] = []
    const kinds: Flooder['kind'][] = [
      ...Array<Flooder['kind']>(SILENT).fill('silent'),
      ...Array<Flooder['kind']>(SLOW).fill('slow'),
      ...Array<Flooder['kind']>(NO_CERT).fill('no-cert'),
    ].sort(() => Math.random() - 0.5)
    for (let i = 0; i < kinds.length; i += 50) {
      for (const kind of kinds.slice(i, i + 50)) flood.push(flooder(kind, bed.router.port))
      await sleep(10)
    }
    // Every flood connection is closed by the router, none by us.
    await until(
      () => flood.every((f) => f.closed !== undefined),
      15_000,
      'the router closing the flood',
    )
    const elapsed = (performance.now() - started) / 1000
    const rate = (flow.echoed - echoedAtStart) / MiB / elapsed
    console.log(
      `flood of ${flood.length} shed in ${elapsed.toFixed(2)} s; the circuit echoed ${rate.toFixed(1)} MiB/s meanwhile`,
    )

    // Stalled handshakes lasted about the handshake timeout (slack for a loaded test machine),
    // never for ever, and a trickle of bytes did not extend it.
    for (const f of flood.filter((x) => x.kind !== 'no-cert')) {
      expect(f.closed! - f.opened).toBeGreaterThan(HANDSHAKE_MS * 0.8)
      expect(f.closed! - f.opened).toBeLessThan(HANDSHAKE_MS + 5000)
    }
    const after = await refusals(bed)
    const delta = (reason: string) => (after[reason] ?? 0) - (before[reason] ?? 0)
    expect(delta('handshake-timeout')).toBe(SILENT + SLOW)
    expect(delta('no-certificate')).toBe(NO_CERT)
    expect(bed.router.registry.sessions.size).toBe(2) // the host and the dialer, nobody else

    // The circuit kept flowing at a good part of its pace, without a long stall, intact.
    expect(rate).toBeGreaterThan(1)
    const result = await flow.finish()
    expect(result.intact).toBe(true)
    expect(result.maxStallMs).toBeLessThan(1000)

    // And the router takes new endpoints as before.
    const again = await rawLink(bed, dialer)
    const circuit = await dial(again, dialer, 'svc')
    circuit.destroy()
    again.close()
    channel.close()
  })
})
