import { describe, expect, it } from 'vitest'
import { computeRoutes, LOAD_PENALTY_MS, LOCAL, type RouterTopology } from './paths.js'

function router(
  id: string,
  links: Record<string, number>,
  services: Record<string, number> = {},
  load = 0,
): RouterTopology {
  return { id, links, services, load }
}

describe('computeRoutes', () => {
  it('prefers the path of least summed latency, the others after it', () => {
    // r1 → r2 → r4 costs 1 + 1; r1 → r3 → r4 costs 1 + 10; r1 → r4 directly costs 50.
    const tables = computeRoutes([
      router('r1', { r2: 1, r3: 1, r4: 50 }),
      router('r2', { r1: 1, r4: 1 }),
      router('r3', { r1: 1, r4: 10 }),
      router('r4', { r2: 1, r3: 10, r1: 50 }, { svc: 1 }),
    ])
    expect(tables.get('r1')).toEqual({ svc: ['r2', 'r3', 'r4'] })
    // The only host is r4 itself: no path through a neighbour may come back to it.
    expect(tables.get('r4')).toEqual({ svc: [LOCAL] })
  })

  it('takes a link reported by one side only, at the larger RTT when both report it', () => {
    const tables = computeRoutes([
      router('a', { b: 2 }),
      router('b', { a: 9, c: 1 }, { s: 1 }),
      router('c', {}, { s: 1 }),
    ])
    // a → b (max(2, 9) = 9) is the only way out of a; b reaches c by b's own report.
    expect(tables.get('a')).toEqual({ s: ['b'] })
    expect(tables.get('c')).toEqual({ s: [LOCAL, 'b'] })
  })

  it('adds a load penalty: a loaded terminating router loses to a slightly slower idle one', () => {
    const busy = Math.ceil(10 / LOAD_PENALTY_MS)
    const tables = computeRoutes([
      router('r1', { r2: 1, r3: 5 }),
      router('r2', { r1: 1 }, { svc: 1 }, busy),
      router('r3', { r1: 5 }, { svc: 1 }, 0),
    ])
    expect(tables.get('r1')).toEqual({ svc: ['r3', 'r2'] })
    // Without the load, latency decides.
    const idle = computeRoutes([
      router('r1', { r2: 1, r3: 5 }),
      router('r2', { r1: 1 }, { svc: 1 }),
      router('r3', { r1: 5 }, { svc: 1 }),
    ])
    expect(idle.get('r1')).toEqual({ svc: ['r2', 'r3'] })
  })

  it('prefers a local terminator when it is the best, even on a tie', () => {
    const tables = computeRoutes([
      router('r1', { r2: 0 }, { svc: 1 }),
      router('r2', { r1: 0 }, { svc: 1 }),
    ])
    expect(tables.get('r1')).toEqual({ svc: [LOCAL, 'r2'] })
    expect(tables.get('r2')).toEqual({ svc: [LOCAL, 'r1'] })
  })

  it('leaves out a service no reachable router hosts', () => {
    const tables = computeRoutes([
      router('r1', { r2: 1 }),
      router('r2', { r1: 1 }),
      router('r3', {}, { island: 1 }),
    ])
    expect(tables.get('r1')).toEqual({})
    expect(tables.get('r3')).toEqual({ island: [LOCAL] })
  })

  it('ignores a dead router: links to a router missing from the input are dropped', () => {
    // r2 died: it is no longer in the input, though r1 still reports its link to it.
    const tables = computeRoutes([
      router('r1', { r2: 1, r3: 5 }),
      router('r3', { r1: 5 }, { svc: 1 }),
    ])
    expect(tables.get('r1')).toEqual({ svc: ['r3'] })
    expect(tables.has('r2')).toBe(false)
  })

  it('never routes back through the asking router', () => {
    // r2's only way to svc is back through r1: from r1's view, r2 is not a hop to svc.
    const tables = computeRoutes([
      router('r1', { r2: 1, r3: 1 }),
      router('r2', { r1: 1 }),
      router('r3', { r1: 1 }, { svc: 1 }),
    ])
    expect(tables.get('r1')).toEqual({ svc: ['r3'] })
    expect(tables.get('r2')).toEqual({ svc: ['r1'] })
  })

  it('is deterministic: equal costs rank by router id whatever the input order', () => {
    const a = [
      router('r1', { r3: 2, r2: 2 }),
      router('r3', { r1: 2 }, { svc: 1 }),
      router('r2', { r1: 2 }, { svc: 1 }),
    ]
    const first = computeRoutes(a).get('r1')
    const second = computeRoutes([...a].reverse()).get('r1')
    expect(first).toEqual({ svc: ['r2', 'r3'] })
    expect(second).toEqual(first)
  })

  it('ignores malformed RTTs and self links', () => {
    const tables = computeRoutes([
      router('r1', { r1: 1, r2: Number.NaN, r3: -1 }),
      router('r2', {}, { svc: 1 }),
      router('r3', {}, { svc: 1 }),
    ])
    expect(tables.get('r1')).toEqual({})
  })
})
