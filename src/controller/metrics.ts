import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** The controller's Prometheus metrics, in a registry of their own (never the global one). */
export interface ControllerMetrics {
  registry: Registry
  requests: Counter<'route' | 'status'>
  latency: Histogram<'route'>
  enrollments: Counter<'result'>
  grants: Counter
  /**
   * Seconds until each certificate of the network expires, read at every scrape from
   * `certificates()` (set once the store is open).
   */
  certificateExpiry: Gauge<'kind' | 'name'>
  certificates: () => Promise<readonly { kind: string; name: string; expiresIn: number | null }[]>
}

/** Creates the controller's metrics registry. */
export function createControllerMetrics(): ControllerMetrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, prefix: 'zh_controller_' })
  const metrics: ControllerMetrics = {
    certificates: () => Promise.resolve([]),
    registry,
    requests: new Counter({
      name: 'zh_controller_requests_total',
      help: 'REST requests by route and status',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'zh_controller_request_seconds',
      help: 'REST request latency by route',
      labelNames: ['route'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    }),
    enrollments: new Counter({
      name: 'zh_controller_enrollments_total',
      help: 'Enrollment attempts by result (ok or the ZH_* code)',
      labelNames: ['result'],
      registers: [registry],
    }),
    grants: new Counter({
      name: 'zh_controller_grants_issued_total',
      help: 'Grants signed',
      registers: [registry],
    }),
    certificateExpiry: new Gauge({
      name: 'zh_certificate_expiry_seconds',
      help: 'Seconds until the newest certificate of the CA, the controller, each router and each identity expires (negative: expired)',
      labelNames: ['kind', 'name'],
      registers: [registry],
      async collect() {
        const certificates = await metrics.certificates()
        this.reset()
        for (const c of certificates)
          if (c.expiresIn !== null) this.set({ kind: c.kind, name: c.name }, c.expiresIn)
      },
    }),
  }
  return metrics
}
