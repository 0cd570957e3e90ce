import type { Logger } from 'pino'
import type { Store } from './store/types.js'

/** How often a replica says it is alive, ms. */
const HEARTBEAT_MS = 10_000
/** A replica not heard from for this long is left out of the lists handed to clients. */
const STALE_MS = 60_000
/** Bounds of the list (clients accept as many). */
const MAX_LISTED = 16

/**
 * The controller replicas of a network, as recorded in the shared store: each replica writes
 * its URL and a heartbeat; clients get the list (in enrollment answers and a response header) so
 * they can fail over. This replica comes first in the list it hands out.
 */
export class Replicas {
  private listed: string[] = []
  private timer: NodeJS.Timeout | undefined
  private stopWatch: (() => void) | undefined

  constructor(
    private readonly db: Store,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Every live replica's URL, this one first. */
  urls(): string[] {
    return this.listed
  }

  /** Records this replica at `url` and keeps its heartbeat going. */
  async start(url: string): Promise<void> {
    this.listed = [url]
    await this.beat(url)
    // A replica that starts or stops says so: the others list it at once, not at their next beat.
    this.stopWatch = this.db.watch('replicas', () => {
      this.read(url).catch(() => undefined)
    })
    await this.db.announce('replicas')
    this.timer = setInterval(() => {
      this.beat(url).catch((err: Error) =>
        this.log.warn({ err: err.message }, 'replica heartbeat failed; retrying'),
      )
    }, HEARTBEAT_MS)
    this.timer.unref()
  }

  /** Stops the heartbeat and takes this replica off the list (a clean stop). */
  async stop(url: string): Promise<void> {
    clearInterval(this.timer)
    this.stopWatch?.()
    await this.db
      .run('DELETE FROM replicas WHERE url = ?', [url])
      .then(() => this.db.announce('replicas'))
      .catch(() => undefined)
  }

  private async beat(url: string): Promise<void> {
    const now = this.now()
    await this.db.run(
      `INSERT INTO replicas (url, started_at, last_seen) VALUES (?, ?, ?)
       ON CONFLICT (url) DO UPDATE SET last_seen = excluded.last_seen`,
      [url, now, now],
    )
    await this.read(url)
  }

  private async read(url: string): Promise<void> {
    const now = this.now()
    const rows = await this.db.all<{ url: string }>(
      'SELECT url FROM replicas WHERE last_seen >= ? ORDER BY started_at, url LIMIT ?',
      [now - STALE_MS, MAX_LISTED],
    )
    this.listed = [url, ...rows.map((r) => r.url).filter((u) => u !== url)]
  }
}
