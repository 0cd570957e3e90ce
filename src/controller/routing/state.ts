import { EventEmitter } from 'node:events'
import type { LiveReport } from './live.js'
import { computeRoutes, type RouterTopology, type RoutingTable } from './paths.js'

/** What the controller pushes to one router: who to link with, and its routing table. */
export interface RoutesLine {
  type: 'routes'
  /** Live routers of the network with their link address (never the router itself). */
  peers: { id: string; address: string }[]
  routes: RoutingTable
}

/**
 * The topology part of a router status report, with its live circuits and terminators: kept
 * in the same object so that RouterPresence shares them between replicas with the rest.
 */
export type TopologyReport = Omit<RouterTopology, 'id'> & { live?: LiveReport }

/**
 * The controller's view of the router graph: the last topology each router reported and which
 * routers hold their control channel open (a router without one is dead to routing). Every
 * change recomputes the tables and emits `routes` for each router whose line changed.
 *
 * @example
 * const routing = new RoutingState()
 * routing.on('routes', (routerId, line) => push(routerId, line))
 * routing.online('r1', '127.0.0.1:4433')
 */
export class RoutingState extends EventEmitter<{ routes: [routerId: string, line: RoutesLine] }> {
  private readonly topology = new Map<string, TopologyReport>()
  private readonly addresses = new Map<string, string>()
  /** Open control channels per router (a reconnect may overlap the old stream briefly). */
  private readonly streams = new Map<string, number>()
  private readonly sent = new Map<string, string>()
  /** Routers connected to other replicas of the network (shared stores), by id. */
  private remote = new Map<string, { address: string; topology?: TopologyReport }>()

  /** A router reported its address and topology. */
  report(routerId: string, address: string, topology: TopologyReport | undefined): void {
    this.addresses.set(routerId, address)
    if (topology) this.topology.set(routerId, topology)
    this.recompute()
  }

  /** A router's control channel opened. */
  online(routerId: string): void {
    this.streams.set(routerId, (this.streams.get(routerId) ?? 0) + 1)
    this.sent.delete(routerId) // a new stream must get its line
    this.recompute()
  }

  /**
   * A router's control channel closed: when it was the last, the router leaves the graph (and
   * this returns true).
   */
  offline(routerId: string): boolean {
    const n = (this.streams.get(routerId) ?? 1) - 1
    if (n > 0) {
      this.streams.set(routerId, n)
      return false
    }
    this.streams.delete(routerId)
    this.topology.delete(routerId)
    this.sent.delete(routerId)
    this.recompute()
    return true
  }

  /** A router was deleted. */
  remove(routerId: string): void {
    this.remote.delete(routerId)
    this.streams.delete(routerId)
    this.topology.delete(routerId)
    this.addresses.delete(routerId)
    this.sent.delete(routerId)
    this.recompute()
  }

  /**
   * The routers other replicas hold, as their last reports say: they take part in every path
   * and peer list this replica computes (local reports win for a router both know).
   */
  setRemote(routers: { id: string; address: string; topology?: TopologyReport }[]): void {
    this.remote = new Map(routers.map((r) => [r.id, r]))
    this.recompute()
  }

  /** The current line of a router (what its control channel last got or will get). */
  lineFor(routerId: string): RoutesLine {
    return this.lines().get(routerId) ?? { type: 'routes', peers: [], routes: {} }
  }

  /** Each live router's reported links (peer → RTT ms), for `router list`. */
  links(): Map<string, Readonly<Record<string, number>>> {
    const all = new Map<string, Readonly<Record<string, number>>>()
    for (const [id, r] of this.remote) if (r.topology) all.set(id, r.topology.links)
    for (const [id, t] of this.topology) all.set(id, t.links)
    return all
  }

  /** Each online router (here or on another replica) with its last live report, if any. */
  live(): Map<string, LiveReport | undefined> {
    const all = new Map<string, LiveReport | undefined>()
    for (const [id, r] of this.remote) all.set(id, r.topology?.live)
    for (const id of this.streams.keys()) all.set(id, this.topology.get(id)?.live)
    return all
  }

  private lines(): Map<string, RoutesLine> {
    const live = [...new Set([...this.streams.keys(), ...this.remote.keys()])].sort()
    const topologyOf = (id: string) => this.topology.get(id) ?? this.remote.get(id)?.topology
    const addressOf = (id: string) => this.addresses.get(id) ?? this.remote.get(id)?.address
    const routers = live.map((id) => ({
      id,
      ...(topologyOf(id) ?? { links: {}, services: {}, load: 0 }),
    }))
    const tables = computeRoutes(routers)
    const lines = new Map<string, RoutesLine>()
    for (const id of live) {
      const peers = live
        .filter((p) => p !== id && addressOf(p) !== undefined)
        .map((p) => ({ id: p, address: addressOf(p)! }))
      lines.set(id, { type: 'routes', peers, routes: tables.get(id) ?? {} })
    }
    return lines
  }

  private recompute(): void {
    for (const [id, line] of this.lines()) {
      const text = JSON.stringify(line)
      if (this.sent.get(id) === text) continue
      this.sent.set(id, text)
      this.emit('routes', id, line)
    }
  }
}
