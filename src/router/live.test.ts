import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { LiveReport } from '../controller/routing/live.js'
import type { Channel, Circuit } from '../wire/index.js'
import { liveReport } from './live.js'
import { Registry, type Relay, type Session, type Transit } from './registry.js'
import { rawLink, startRouterBed, type RouterBed } from './router.test-util.js'
import { addService, dial, echo, host, until, within } from './traffic.test-util.js'

const channel = () => ({ closed: false }) as unknown as Channel
const session = (identityId: string): Session =>
  ({ identityId, channel: channel(), bindings: new Map() }) as unknown as Session

describe('router live view: unit', () => {
  it('lists relays and transits, caps each list at 1,000 with the totals, and names link peers', () => {
    const registry = new Registry()
    let kicks = 0
    registry.onCircuitsChanged = () => kicks++
    const hostSession = session('host')
    const terminator = { session: hostSession, binding: 1, serviceId: 's1', circuits: 3 }
    registry.bind({ ...terminator, serviceName: 'svc', expiresAt: Date.now() + 60_000 })
    for (let i = 0; i < 1005; i++)
      registry.relays.add({
        dialer: session(`d${i}`),
        terminator: registry.pick('s1'),
        serviceId: 's1',
        openedAt: Date.now(),
      } as Relay)
    const from = channel()
    const via = channel()
    const transit = { identityId: 'far', serviceId: 's2', from, via } as unknown as Transit
    registry.transits.add(transit)
    expect(kicks).toBe(1006)
    const peers = new Map([
      [from, 'r-in'],
      [via, 'r-out'],
    ])
    const started = performance.now()
    const report = liveReport(registry, (ch) => peers.get(ch))
    const buildMs = performance.now() - started
    expect(report.circuits).toHaveLength(1000)
    expect(report.circuitCount).toBe(1006)
    expect(report.circuits[0]).toMatchObject({ service: 's1', dialer: 'd0', terminator: 'host' })
    expect(report.terminators).toEqual([{ service: 's1', identity: 'host', circuits: 3 }])
    expect(new Set(report.circuits.map((c) => c.id)).size).toBe(1000)
    // Steady state: the reporter builds and serializes this every second.
    expect(buildMs).toBeLessThan(50)

    for (const r of [...registry.relays]) registry.relays.delete(r)
    const left = liveReport(registry, (ch) => peers.get(ch))
    expect(left.circuits).toEqual([
      {
        id: registry.circuit(transit).id,
        service: 's2',
        dialer: 'far',
        via: 'r-out',
        from: 'r-in',
        since: registry.circuit(transit).since,
      },
    ])
    expect(kicks).toBe(1006 + 1005)
  })
})

describe('router live view: a real dial', { timeout: 30_000 }, () => {
  let bed: RouterBed

  beforeAll(async () => {
    bed = await startRouterBed()
    await addService(bed, 'live')
  })
  afterAll(async () => bed?.stop())

  it('shows a dial in the status body and drops it once closed', async () => {
    const hostId = await bed.endpoint('live-host', ['live-host'])
    const dialerId = await bed.endpoint('live-dialer', ['live-dial'])
    const hosting = await host(bed, hostId, 'live', echo)
    const dialing = await rawLink(bed, dialerId)
    const live = () => bed.router.status() as unknown as LiveReport
    await until(() => live().terminators.length === 1, 5000, 'terminator listed')
    const serviceId = live().terminators[0]!.service

    const circuit: Circuit = await dial(dialing, dialerId, 'live')
    circuit.on('error', () => undefined)
    await until(() => live().circuits.length === 1, 2000, 'circuit listed')
    const [listed] = live().circuits
    expect(listed).toMatchObject({ service: serviceId, dialer: dialerId.id })
    expect(listed!.terminator).toBe(hostId.id)
    expect(listed!.since).toBeLessThanOrEqual(Date.now())
    expect(live().terminators[0]).toMatchObject({ identity: hostId.id, circuits: 1 })
    expect(live().circuitCount).toBe(1)

    circuit.resume() // the echoed FIN must be read for the circuit to close
    circuit.end()
    await within(once(circuit, 'close'), 5000, 'circuit close')
    await until(() => live().circuits.length === 0, 2000, 'circuit gone')
    expect(live().terminators[0]?.circuits).toBe(0)
    dialing.close()
    hosting.close()
  })
})
