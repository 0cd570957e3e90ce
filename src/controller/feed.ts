import type { EventEmitter } from 'node:events'
import type { Logger } from 'pino'
import type { ChangeEvent, SequencedChange } from './changes.js'
import type { Store } from './store/types.js'

/** Rows read per query while catching up. */
const PAGE = 500
/** A read now and then even without a wake-up: a lost notification costs at most this much. */
const SAFETY_POLL_MS = 10_000
const RETRY_MS = 1_000

/**
 * Delivers every recorded change to this replica's listeners (`events` 'change'), in sequence
 * order, exactly once: whichever replica committed it. Woken by the store (NOTIFY on
 * PostgreSQL, the commit itself on SQLite), it reads what follows the last sequence number it
 * delivered, so a change committed while the notification channel was down is read when it
 * comes back. Changes only commit one at a time (exclusive transactions), so sequence numbers
 * become visible in order and none is skipped.
 */
export class ChangeFeed {
  private last = 0
  private running: Promise<void> | undefined
  private again = false
  private stopWatch: (() => void) | undefined
  private timer: NodeJS.Timeout | undefined

  constructor(
    private readonly db: Store,
    private readonly events: EventEmitter,
    private readonly log: Logger,
  ) {}

  /** The sequence number of the last change delivered. */
  get seq(): number {
    return this.last
  }

  /** Starts after the newest change already recorded (those happened before this replica ran). */
  async start(): Promise<void> {
    const row = await this.db.get<{ seq: number | null }>('SELECT MAX(seq) AS seq FROM changes')
    this.last = Number(row?.seq ?? 0)
    this.stopWatch = this.db.watch('changes', () => void this.catchUp())
    this.timer = setInterval(() => void this.catchUp(), SAFETY_POLL_MS)
    this.timer.unref()
  }

  stop(): void {
    this.stopWatch?.()
    clearInterval(this.timer)
  }

  /** Reads and delivers every change after the last one delivered; resolves when done. */
  catchUp(): Promise<void> {
    if (this.running) {
      this.again = true
      return this.running
    }
    this.running = this.drain().finally(() => (this.running = undefined))
    return this.running
  }

  /** The recorded changes after `seq`, up to `until` (for a router that reconnects). */
  async since(seq: number, until: number): Promise<SequencedChange[]> {
    const rows = await this.db.all<{ seq: number; event: string }>(
      'SELECT seq, event FROM changes WHERE seq > ? AND seq <= ? ORDER BY seq',
      [seq, until],
    )
    return rows.map((r) => ({ ...(JSON.parse(r.event) as ChangeEvent), seq: Number(r.seq) }))
  }

  /** The oldest change still recorded (older ones were pruned), or undefined when none is. */
  async oldest(): Promise<number | undefined> {
    const row = await this.db.get<{ seq: number | null }>('SELECT MIN(seq) AS seq FROM changes')
    return row?.seq === null || row?.seq === undefined ? undefined : Number(row.seq)
  }

  private async drain(): Promise<void> {
    do {
      this.again = false
      try {
        for (;;) {
          const rows = await this.db.all<{ seq: number; event: string }>(
            'SELECT seq, event FROM changes WHERE seq > ? ORDER BY seq LIMIT ?',
            [this.last, PAGE],
          )
          for (const row of rows) {
            this.last = Number(row.seq)
            const change: SequencedChange = {
              ...(JSON.parse(row.event) as ChangeEvent),
              seq: this.last,
            }
            this.events.emit('change', change)
          }
          if (rows.length < PAGE) break
        }
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'reading changes failed; retrying')
        setTimeout(() => void this.catchUp(), RETRY_MS).unref()
        return
      }
    } while (this.again)
  }
}
