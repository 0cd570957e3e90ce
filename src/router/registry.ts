import type { Channel, Circuit } from '../wire/index.js'

/** An endpoint connected to this router, proven by its certificate. */
export interface Session {
  identityId: string
  fingerprint: string
  /** When its certificate expires, ms: the sweep closes the session then (ZH_CERT_EXPIRED). */
  notAfter: number
  channel: Channel
  /** Bindings this endpoint holds here, by the endpoint's binding id. */
  bindings: Map<number, Terminator>
}

/** An endpoint hosting a service through this router. */
export interface Terminator {
  session: Session
  binding: number
  serviceId: string
  serviceName: string
  /** When the bind grant expires (ms): unrefreshed, the terminator goes away then. */
  expiresAt: number
  circuits: number
}

/** A relayed circuit: two legs, and who is on each end. */
export interface Relay {
  dialer: Session
  /** The local terminator; undefined when the host leg is forwarded over a link. */
  terminator?: Terminator
  /** The link channel the host leg runs on, when forwarded. */
  via?: Channel
  serviceId: string
  dialerLeg: Circuit
  hostLeg: Circuit
  openedAt: number
}

/** A circuit another router forwarded to us over a link, on behalf of a remote dialer. */
export interface Transit {
  identityId: string
  fingerprint: string
  /** The router the dialer is connected to. */
  ingress: string
  serviceId: string
  /** The link it came in on, and the one it goes out on when forwarded again. */
  from: Channel
  via?: Channel
  terminator?: Terminator
  inLeg: Circuit
  outLeg: Circuit
}

/** A set that says when a member joins or leaves: circuits open and close through it. */
class WatchedSet<T> extends Set<T> {
  constructor(private readonly changed: (item: T, joined: boolean) => void) {
    super()
  }

  override add(item: T): this {
    if (this.has(item)) return this
    super.add(item)
    this.changed(item, true)
    return this
  }

  override delete(item: T): boolean {
    if (!super.delete(item)) return false
    this.changed(item, false)
    return true
  }

  override clear(): void {
    for (const item of [...this]) this.delete(item)
  }
}

/**
 * What the router knows right now: sessions, terminators by service, live relays. Revocation
 * looks circuits up here by identity, fingerprint and service.
 */
export class Registry {
  readonly sessions = new Set<Session>()
  /** When a pushed change took a permission away, by `identity|service|action` (ms). */
  private readonly lostAt = new Map<string, number>()
  readonly relays = new WatchedSet<Relay>((c, open) => this.circuitChanged(c, open))
  readonly transits = new WatchedSet<Transit>((c, open) => this.circuitChanged(c, open))
  /** Each live circuit's id (unique on this router) and when it opened, for the live view. */
  private readonly circuitInfo = new WeakMap<Relay | Transit, { id: string; since: number }>()
  private nextCircuit = 0
  /**
   * Called when a circuit opens or closes: the router reports at once (debounced), so the
   * console's live view loses a closed circuit within ~100 ms.
   */
  onCircuitsChanged: () => void = () => undefined
  private readonly byService = new Map<string, Terminator[]>()
  private cursor = 0
  /**
   * Called when a service gets its first terminator here or loses its last: the router tells
   * the controller at once, so other routers can route to it (or stop) without waiting for the
   * next periodic report.
   */
  onServicesChanged: () => void = () => undefined

  /** Adds or replaces (on grant refresh) a binding. */
  bind(t: Terminator): void {
    const old = t.session.bindings.get(t.binding)
    if (old) this.unbind(old)
    t.session.bindings.set(t.binding, t)
    const list = this.byService.get(t.serviceId) ?? []
    list.push(t)
    this.byService.set(t.serviceId, list)
    if (list.length === 1) this.onServicesChanged()
  }

  /** Removes a binding (its relays are closed by the caller). */
  unbind(t: Terminator): void {
    if (t.session.bindings.get(t.binding) === t) t.session.bindings.delete(t.binding)
    const list = this.byService.get(t.serviceId)?.filter((x) => x !== t) ?? []
    if (list.length > 0) this.byService.set(t.serviceId, list)
    else if (this.byService.delete(t.serviceId)) this.onServicesChanged()
  }

  /** A circuit's id and opening time (a circuit added before it was watched gets them now). */
  circuit(c: Relay | Transit): { id: string; since: number } {
    let info = this.circuitInfo.get(c)
    if (!info) this.circuitInfo.set(c, (info = { id: `c${++this.nextCircuit}`, since: Date.now() }))
    return info
  }

  /** Every terminator bound here, live or about to be swept. */
  *allTerminators(): IterableIterator<Terminator> {
    for (const list of this.byService.values()) yield* list
  }

  private circuitChanged(c: Relay | Transit, open: boolean): void {
    if (open) this.circuitInfo.set(c, { id: `c${++this.nextCircuit}`, since: Date.now() })
    this.onCircuitsChanged()
  }

  /** A live terminator for the service: the least loaded, round robin among equals. */
  pick(serviceId: string, now = Date.now()): Terminator | undefined {
    const live = (this.byService.get(serviceId) ?? []).filter(
      (t) => t.expiresAt > now && !t.session.channel.closed,
    )
    if (live.length === 0) return undefined
    const least = Math.min(...live.map((t) => t.circuits))
    const candidates = live.filter((t) => t.circuits === least)
    this.cursor = (this.cursor + 1) % candidates.length
    return candidates[this.cursor]
  }

  /** Terminators whose grant expired without a refresh. */
  expired(now = Date.now()): Terminator[] {
    return [...this.byService.values()].flat().filter((t) => t.expiresAt <= now)
  }

  /**
   * Remembers that a permission was taken away: grants for it issued before now are refused,
   * even though their signature and expiry are still good. Grant seconds are whole, so a grant
   * of the same second is refused too (fail closed; the endpoint's next refresh fixes it).
   */
  forget(identityId: string, serviceId: string, action: string, now = Date.now()): void {
    this.lostAt.set(`${identityId}|${serviceId}|${action}`, now)
  }

  /** True when a pushed change removed this permission after the grant was issued. */
  isLost(identityId: string, serviceId: string, action: string, issuedAtSeconds: number): boolean {
    const at = this.lostAt.get(`${identityId}|${serviceId}|${action}`)
    return at !== undefined && issuedAtSeconds * 1000 <= at
  }

  /** Drops records older than any grant still valid. */
  pruneLost(maxGrantAgeMs: number, now = Date.now()): void {
    for (const [key, at] of this.lostAt) if (at < now - maxGrantAgeMs) this.lostAt.delete(key)
  }

  /** Live terminators per service id (the status the controller routes with). */
  serviceCounts(now = Date.now()): Record<string, number> {
    const out: Record<string, number> = {}
    for (const [svc, list] of this.byService) {
      const n = list.filter((t) => t.expiresAt > now && !t.session.channel.closed).length
      if (n > 0) out[svc] = n
    }
    return out
  }

  /** Number of terminators. */
  get terminators(): number {
    let n = 0
    for (const list of this.byService.values()) n += list.length
    return n
  }
}
