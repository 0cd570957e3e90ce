import { describe, expect, it } from 'vitest'
import { LOCAL } from './paths.js'
import { RoutingState, type RoutesLine } from './state.js'

function recorder(state: RoutingState) {
  const pushed: [string, RoutesLine][] = []
  state.on('routes', (id, line) => pushed.push([id, line]))
  return pushed
}

const links = (l: Record<string, number>, services: Record<string, number> = {}) => ({
  links: l,
  services,
  load: 0,
})

describe('RoutingState', () => {
  it('pushes peers and routes to live routers, only when their line changes', () => {
    const state = new RoutingState()
    const pushed = recorder(state)
    state.report('r1', '127.0.0.1:1', links({}))
    state.report('r2', '127.0.0.1:2', links({}, { svc: 1 }))
    expect(pushed).toEqual([]) // no control channel open yet: nobody is live
    state.online('r1')
    state.online('r2')
    expect(state.lineFor('r1')).toEqual({
      type: 'routes',
      peers: [{ id: 'r2', address: '127.0.0.1:2' }],
      routes: {},
    })
    pushed.length = 0
    state.report('r1', '127.0.0.1:1', links({ r2: 1 }))
    expect(pushed.map(([id]) => id)).toEqual(['r1'])
    expect(pushed[0]![1].routes).toEqual({ svc: ['r2'] })
    pushed.length = 0
    // The same report again, or another RTT that changes no ranking: nothing is pushed.
    state.report('r1', '127.0.0.1:1', links({ r2: 1 }))
    state.report('r1', '127.0.0.1:1', links({ r2: 2 }))
    expect(pushed).toEqual([])
    expect(state.lineFor('r2').routes).toEqual({ svc: [LOCAL] })
  })

  it('drops a router whose last control channel closed, and one that was deleted', () => {
    const state = new RoutingState()
    for (const id of ['r1', 'r2', 'r3']) state.online(id)
    state.report('r1', 'a:1', links({ r2: 1, r3: 5 }))
    state.report('r2', 'a:2', links({ r1: 1 }, { svc: 1 }))
    state.report('r3', 'a:3', links({ r1: 5 }, { svc: 1 }))
    expect(state.lineFor('r1').routes).toEqual({ svc: ['r2', 'r3'] })
    // A reconnect overlaps the old stream: closing the old one keeps the router live.
    state.online('r2')
    state.offline('r2')
    expect(state.lineFor('r1').routes).toEqual({ svc: ['r2', 'r3'] })
    const pushed = recorder(state)
    state.offline('r2')
    expect(state.lineFor('r1')).toEqual({
      type: 'routes',
      peers: [{ id: 'r3', address: 'a:3' }],
      routes: { svc: ['r3'] },
    })
    expect(pushed.some(([id]) => id === 'r1')).toBe(true)
    state.remove('r3')
    expect(state.lineFor('r1')).toEqual({ type: 'routes', peers: [], routes: {} })
  })

  it('gives a reconnecting router its line again even when nothing changed', () => {
    const state = new RoutingState()
    state.online('r1')
    const pushed = recorder(state)
    state.online('r1')
    expect(pushed.map(([id]) => id)).toEqual(['r1'])
  })

  it('counts routers held by other replicas: peers, routes and links, local reports first', () => {
    const state = new RoutingState()
    state.report('r1', '127.0.0.1:1', links({ r2: 1 }))
    state.online('r1')
    expect(state.lineFor('r1').peers).toEqual([])
    // r2 is connected to another replica, which recorded its report.
    state.setRemote([{ id: 'r2', address: '127.0.0.1:2', topology: links({ r1: 1 }, { svc: 1 }) }])
    expect(state.lineFor('r1')).toMatchObject({
      peers: [{ id: 'r2', address: '127.0.0.1:2' }],
      routes: { svc: ['r2'] },
    })
    expect([...state.links().keys()].sort()).toEqual(['r1', 'r2'])
    // A remote row for a router this replica also holds does not override its own report.
    state.setRemote([{ id: 'r1', address: '10.0.0.9:9', topology: links({}) }])
    expect(state.lineFor('r1').peers).toEqual([])
    expect(state.links().get('r1')).toEqual({ r2: 1 })
    // The other replica lost r2: it leaves the graph.
    state.setRemote([])
    expect(state.lineFor('r1').routes).toEqual({})
  })
})
