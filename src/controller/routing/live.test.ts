import { describe, expect, it } from 'vitest'
import type { PolicySnapshot } from '../policy/types.js'
import { liveFromStatus, liveView, type LiveReport } from './live.js'
import { RoutingState } from './state.js'

const snapshot: PolicySnapshot = {
  identities: [{ id: 'i1', name: 'ci', kind: 'endpoint', attributes: [], disabled: false }],
  services: [{ id: 's1', name: 'hooks', attributes: [] }],
  routers: [
    { id: 'r1', name: 'edge-a', attributes: [] },
    { id: 'r2', name: 'edge-b', attributes: [] },
    { id: 'r3', name: 'spare', attributes: [] },
  ],
  servicePolicies: [],
  routerPolicies: [],
}

const report = (circuits: LiveReport['circuits']): LiveReport => ({
  circuits,
  terminators: [{ service: 's1', identity: 'gone', circuits: circuits.length }],
  circuitCount: circuits.length,
  terminatorCount: 1,
})

describe('live view', () => {
  it('joins local and remote reports, names what the store knows, and shows offline routers empty', () => {
    const routing = new RoutingState()
    const topology = { links: {}, services: {}, load: 0 }
    const local = report([{ id: 'c1', service: 's1', dialer: 'i1', via: 'r2', since: 5 }])
    routing.report('r1', 'a:1', { ...topology, live: local })
    routing.online('r1')
    const remote = report([{ id: 'c9', service: 's1', dialer: 'i1', from: 'r1', since: 6 }])
    routing.setRemote([{ id: 'r2', address: 'b:1', topology: { ...topology, live: remote } }])

    const addresses = new Map([
      ['r1', 'a:1'],
      ['r2', 'b:1'],
      ['r3', null],
    ])
    const [a, b, c] = liveView(snapshot, addresses, routing.live())
    expect(a!.circuits).toEqual([
      {
        id: 'c1',
        service: 's1',
        serviceName: 'hooks',
        dialer: 'i1',
        dialerName: 'ci',
        via: 'r2',
        viaName: 'edge-b',
        since: 5,
      },
    ])
    // An identity the store no longer has keeps its bare id.
    expect(a!.terminators).toEqual([
      { service: 's1', serviceName: 'hooks', identity: 'gone', circuits: 1 },
    ])
    expect(b).toMatchObject({ online: true, circuits: [{ id: 'c9', fromName: 'edge-a' }] })
    expect(c).toMatchObject({ name: 'spare', address: null, online: false, circuits: [] })

    // A router whose control channel closes takes its circuits with it.
    routing.offline('r1')
    const [after] = liveView(snapshot, addresses, routing.live())
    expect(after).toMatchObject({ online: false, circuits: [], circuitCount: 0 })
  })

  it('reads the live part of a status body, totals never below the lists', () => {
    expect(liveFromStatus({ address: 'a:1', links: {} })).toBeUndefined()
    const circuits = [{ id: 'c1', service: 's', dialer: 'd', since: 1 }]
    expect(liveFromStatus({ circuits, terminators: [], circuitCount: 0 })).toEqual({
      circuits,
      terminators: [],
      circuitCount: 1,
      terminatorCount: 0,
    })
  })
})
