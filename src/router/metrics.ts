import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

type Direction = 'dialer-to-host' | 'host-to-dialer'

/** The router's Prometheus metrics, in a registry of their own. */
export interface RouterMetrics {
  registry: Registry
  connections: Gauge
  connectionsRefused: Counter<'reason'>
  circuits: Gauge
  terminators: Gauge
  bytes: Counter<'direction'>
  /**
   * The two directions of `bytes`. Relaying counts every chunk, so this only adds to a number;
   * `bytes` takes the sums when it is scraped (a prom-client `inc` builds a label hash each time).
   */
  relayed: Record<Direction, { inc(bytes: number): void }>
  dials: Counter<'result'>
  teardown: Histogram
  links: Gauge
  linkRtt: Gauge<'peer'>
  forwarded: Counter<'role'>
  /** Seconds until the router's own certificate expires; absent without `certificate`. */
  certificateExpiry?: Gauge<'kind' | 'name'>
}

/**
 * Creates the router's metrics. With `certificate`, `zh_certificate_expiry_seconds` reports
 * the router's own certificate, read at every scrape (so a renewal shows at once).
 */
export function createRouterMetrics(certificate?: {
  name: string
  notAfter: () => number
}): RouterMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'zh_router_' })
  const registers = [registry]
  const relayed = { 'dialer-to-host': new Tally(), 'host-to-dialer': new Tally() }
  const bytes = new Counter({
    name: 'zh_router_relayed_bytes_total',
    help: 'Bytes relayed',
    labelNames: ['direction'] as const,
    registers,
    collect() {
      for (const direction of ['dialer-to-host', 'host-to-dialer'] as const) {
        const n = relayed[direction].take()
        if (n > 0) this.inc({ direction }, n)
      }
    },
  })
  return {
    registry,
    bytes,
    relayed,
    connections: new Gauge({
      name: 'zh_router_connections',
      help: 'Authenticated endpoint connections',
      registers,
    }),
    connectionsRefused: new Counter({
      name: 'zh_router_connections_refused_total',
      help: 'Connections refused, by reason: certificate, no-certificate, revoked, router (a router that may not link), handshake-timeout, handshake; with --knock: knock (a bad or stale one), knock-replayed, knock-timeout',
      labelNames: ['reason'],
      registers,
    }),
    circuits: new Gauge({ name: 'zh_router_circuits', help: 'Relayed circuits', registers }),
    terminators: new Gauge({ name: 'zh_router_terminators', help: 'Bound terminators', registers }),
    dials: new Counter({
      name: 'zh_router_dials_total',
      help: 'Dials by result (accepted or the ZH_* code)',
      labelNames: ['result'],
      registers,
    }),
    teardown: new Histogram({
      name: 'zh_router_revocation_teardown_seconds',
      help: 'Time from a pushed revocation to its circuits and terminators being closed',
      buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
      registers,
    }),
    links: new Gauge({ name: 'zh_router_links', help: 'Live links to other routers', registers }),
    linkRtt: new Gauge({
      name: 'zh_router_link_rtt_seconds',
      help: 'Smoothed round-trip time of each link, by peer router id',
      labelNames: ['peer'],
      registers,
    }),
    forwarded: new Counter({
      name: 'zh_router_forwarded_circuits_total',
      help: 'Circuits forwarded over a link: role ingress (we sent it on) or transit (a peer sent it to us)',
      labelNames: ['role'],
      registers,
    }),
    certificateExpiry: certificate
      ? new Gauge({
          // The controller's metric of the same name reports every certificate it issued.
          name: 'zh_certificate_expiry_seconds',
          help: 'Seconds until the router certificate expires (negative: expired)',
          labelNames: ['kind', 'name'] as const,
          registers,
          collect() {
            const seconds = (certificate.notAfter() - Date.now()) / 1000
            this.set({ kind: 'router', name: certificate.name }, seconds)
          },
        })
      : undefined,
  }
}

/** A count that only grows, read and reset by the metric that reports it. */
class Tally {
  private n = 0

  inc(bytes: number): void {
    this.n += bytes
  }

  take(): number {
    const n = this.n
    this.n = 0
    return n
  }
}
