import type { Logger } from 'pino'
import type { Store } from '../store/types.js'
import type { RoutingState, TopologyReport } from './state.js'

/** A report older than this is from a router (or a replica) that is gone, ms. */
const STALE_MS = 35_000
/** The whole table is read at least this often, ms, besides every announcement. */
const RELOAD_MS = 5_000

interface Row {
  router_id: string
  address: string
  topology: string | null
  updated_at: number
}

/**
 * Shares router presence between the replicas of a shared store: each replica records the
 * routers whose reports it receives (with their links and services) and drops them when their
 * control channel closes; each reads what the others recorded into its RoutingState, so every
 * replica tells every router about all its peers and computes paths over the whole graph, not
 * only over the routers connected to it. On SQLite (one controller) it does nothing.
 */
export class RouterPresence {
  private stopWatch: (() => void) | undefined
  private timer: NodeJS.Timeout | undefined
  private loading = false

  constructor(
    private readonly db: Store,
    private readonly replica: () => string,
    private readonly routing: RoutingState,
    private readonly log: Logger,
  ) {}

  private get shared(): boolean {
    return this.db.kind === 'postgres'
  }

  start(): void {
    if (!this.shared) return
    this.stopWatch = this.db.watch('routers', () => void this.reload())
    this.timer = setInterval(() => void this.reload(), RELOAD_MS)
    this.timer.unref()
    void this.reload()
  }

  /** Stops reading, and (a clean stop) takes this replica's routers out of the table. */
  async stop(): Promise<void> {
    if (!this.shared) return
    this.stopWatch?.()
    clearInterval(this.timer)
    await this.db
      .run('DELETE FROM router_presence WHERE replica = ?', [this.replica()])
      .then(() => this.db.announce('routers'))
      .catch(() => undefined)
  }

  /** A router reported to this replica. */
  async reported(routerId: string, address: string, topology?: TopologyReport): Promise<void> {
    if (!this.shared) return
    await this.db.run(
      `INSERT INTO router_presence (router_id, replica, address, topology, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (router_id, replica) DO UPDATE SET address = excluded.address,
         topology = excluded.topology, updated_at = excluded.updated_at`,
      [routerId, this.replica(), address, topology ? JSON.stringify(topology) : null, Date.now()],
    )
    await this.db.announce('routers')
  }

  /** A router's last control channel to this replica closed. */
  async gone(routerId: string): Promise<void> {
    if (!this.shared) return
    await this.db.run('DELETE FROM router_presence WHERE router_id = ? AND replica = ?', [
      routerId,
      this.replica(),
    ])
    await this.db.announce('routers')
  }

  private async reload(): Promise<void> {
    if (this.loading) return
    this.loading = true
    try {
      const rows = await this.db.all<Row>(
        'SELECT router_id, address, topology, updated_at FROM router_presence WHERE replica <> ? AND updated_at >= ? ORDER BY updated_at',
        [this.replica(), Date.now() - STALE_MS],
      )
      this.routing.setRemote(
        rows.map((r) => ({
          id: r.router_id,
          address: r.address,
          ...(r.topology ? { topology: JSON.parse(r.topology) as TopologyReport } : {}),
        })),
      )
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'reading router presence failed; retrying')
    } finally {
      this.loading = false
    }
  }
}
