/**
 * Path computation for circuits between routers: a pure function of the link graph the routers
 * report, so it is unit-tested without a network.
 */

/** What one router reported about itself (its status), as the controller keeps it. */
export interface RouterTopology {
  id: string
  /** Live links: peer router id → measured round-trip time, ms. */
  links: Readonly<Record<string, number>>
  /** Services with a local terminator: service id → number of terminators. */
  services: Readonly<Record<string, number>>
  /** Circuits this router carries now (relayed and in transit). */
  load: number
}

/** `local`, or the id of the neighbour router to forward to. */
export type Hop = string

/** The hop meaning "a terminator on this router". */
export const LOCAL: Hop = 'local'

/** Per service id: the first hops to try, best first. */
export type RoutingTable = Record<string, Hop[]>

/** Milliseconds of latency one carried circuit is worth when comparing paths. */
export const LOAD_PENALTY_MS = 0.05

type Graph = Map<string, Map<string, number>>

/**
 * Builds the undirected link graph of the live routers. A link counts when either end reports
 * it (the other may not have measured it yet), weighted by the larger of the reported RTTs.
 */
function buildGraph(routers: readonly RouterTopology[]): Graph {
  const live = new Set(routers.map((r) => r.id))
  const graph: Graph = new Map(routers.map((r) => [r.id, new Map<string, number>()]))
  for (const r of routers) {
    for (const [peer, rtt] of Object.entries(r.links)) {
      if (!live.has(peer) || peer === r.id || !Number.isFinite(rtt) || rtt < 0) continue
      const w = Math.max(rtt, graph.get(r.id)!.get(peer) ?? 0)
      graph.get(r.id)!.set(peer, w)
      graph.get(peer)!.set(r.id, w)
    }
  }
  return graph
}

/** Shortest distances from `source` in `graph`, never passing through `without`. */
function distances(graph: Graph, source: string, without: string): Map<string, number> {
  const dist = new Map<string, number>([[source, 0]])
  const done = new Set<string>()
  // Graphs are a handful of routers: a linear scan for the minimum is simpler than a heap.
  for (;;) {
    let best: string | undefined
    for (const [node, d] of dist) {
      if (done.has(node)) continue
      if (best === undefined || d < dist.get(best)! || (d === dist.get(best)! && node < best))
        best = node
    }
    if (best === undefined) return dist
    done.add(best)
    for (const [next, w] of graph.get(best) ?? []) {
      if (next === without || done.has(next)) continue
      const d = dist.get(best)! + w
      if (d < (dist.get(next) ?? Infinity)) dist.set(next, d)
    }
  }
}

/**
 * Computes every live router's routing table: for each service some router hosts, the first hops
 * ranked by the cost of the best path through them (summed link RTTs, plus the load penalty of
 * the router that terminates). A path through a neighbour never comes back through the router
 * itself. `local` competes like any hop, and wins ties; other ties go to the smaller router id,
 * so the result is deterministic. Unreachable services are left out.
 *
 * @example
 * computeRoutes([
 *   { id: 'r1', links: { r2: 3 }, services: {}, load: 0 },
 *   { id: 'r2', links: { r1: 3 }, services: { svc: 1 }, load: 0 },
 * ]).get('r1') // { svc: ['r2'] }
 */
export function computeRoutes(routers: readonly RouterTopology[]): Map<string, RoutingTable> {
  const graph = buildGraph(routers)
  const byId = new Map(routers.map((r) => [r.id, r]))
  const hosts = new Map<string, string[]>()
  for (const r of routers) {
    for (const [svc, n] of Object.entries(r.services)) {
      if (n > 0) hosts.set(svc, [...(hosts.get(svc) ?? []), r.id])
    }
  }
  const penalty = (id: string) => LOAD_PENALTY_MS * Math.max(0, byId.get(id)?.load ?? 0)
  const tables = new Map<string, RoutingTable>()
  for (const r of [...routers].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) {
    const neighbours = [...graph.get(r.id)!.entries()]
    const fromNeighbour = new Map(neighbours.map(([n]) => [n, distances(graph, n, r.id)]))
    const table: RoutingTable = {}
    for (const [svc, hosting] of [...hosts.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const options: { hop: Hop; cost: number }[] = []
      if (hosting.includes(r.id)) options.push({ hop: LOCAL, cost: penalty(r.id) })
      for (const [n, w] of neighbours) {
        const dist = fromNeighbour.get(n)!
        let best = Infinity
        for (const h of hosting) {
          const d = dist.get(h)
          if (d !== undefined) best = Math.min(best, d + penalty(h))
        }
        if (best < Infinity) options.push({ hop: n, cost: w + best })
      }
      if (options.length === 0) continue
      options.sort((a, b) => a.cost - b.cost || rank(a.hop) - rank(b.hop) || cmp(a.hop, b.hop))
      table[svc] = options.map((o) => o.hop)
    }
    tables.set(r.id, table)
  }
  return tables
}

function rank(hop: Hop): number {
  return hop === LOCAL ? 0 : 1
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
