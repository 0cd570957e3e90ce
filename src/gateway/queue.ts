import Database from 'better-sqlite3'
import { ZhError } from '../errors.js'
import { preparePrivateDatabase } from '../private-files.js'
import { unsettledCountSql } from '../webhooks/sender/unsettled-count.js'

/**
 * Where a forwarded webhook is. `rejected`: the receiver answered a definitive 4xx; `failed`:
 * every attempt failed. Both are kept (with the body) for the operator: nothing accepted is lost.
 */
export type ForwardState = 'pending' | 'in-flight' | 'delivered' | 'rejected' | 'failed'

/** A verified webhook waiting to cross, exactly as it must be forwarded. */
export interface QueuedWebhook {
  /** The gateway's id (`gw_...`), sent as `X-Zerohook-Gateway-Id`. */
  readonly id: string
  readonly route: string
  /** `http://<service><path>`, dialled over the overlay. */
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  /** The original body bytes. */
  readonly body: Buffer
  /** Replay-store keys of the verification, forgotten when the receiver rejects it. */
  readonly replayKeys: readonly string[]
  readonly state: ForwardState
  readonly attempts: number
  /** Attempts made before the last replay: the retry schedule counts from there. */
  readonly retryBase: number
  readonly nextAt: number | null
  readonly lastStatus: number | null
  readonly lastError: string | null
}

/** One forwarding attempt of a queued webhook. */
export interface ForwardAttempt {
  readonly attempt: number
  /** When it started, ms since the epoch. */
  readonly at: number
  readonly status: number | null
  readonly error: string | null
  readonly latencyMs: number
}

/** A queued webhook as the admin API lists it: no headers, no body, only its size. */
export interface ListedWebhook {
  readonly id: string
  readonly route: string
  readonly url: string
  readonly state: ForwardState
  readonly createdAt: number
  readonly nextAt: number | null
  readonly bodyBytes: number
  readonly attempts: readonly ForwardAttempt[]
}

/** Filters of {@link ForwardQueue.list}. */
export interface ListFilter {
  readonly state?: ForwardState
  readonly route?: string
  /** A webhook id: list those queued before it (the next page). */
  readonly before?: string
  readonly limit: number
}

/** What one attempt decided. */
export interface AttemptResult {
  readonly state: Exclude<ForwardState, 'in-flight'>
  readonly status: number | null
  readonly error: string | null
  /** When `state` is `pending`. */
  readonly nextAt: number | null
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS zh_gateway_queue (
  id TEXT PRIMARY KEY NOT NULL,
  route TEXT NOT NULL,
  url TEXT NOT NULL,
  headers TEXT NOT NULL,
  body BLOB NOT NULL,
  replay_keys TEXT NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS zh_gateway_queue_due ON zh_gateway_queue (state, next_at);
CREATE INDEX IF NOT EXISTS zh_gateway_queue_created ON zh_gateway_queue (created_at, id);
CREATE TABLE IF NOT EXISTS zh_gateway_attempts (
  id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at INTEGER NOT NULL,
  status INTEGER,
  error TEXT,
  latency_ms INTEGER NOT NULL,
  PRIMARY KEY (id, attempt)
) WITHOUT ROWID;`

interface Row {
  id: string
  route: string
  url: string
  headers: string
  body: Buffer
  replay_keys: string
  state: ForwardState
  attempts: number
  retry_base: number
  created_at: number
  next_at: number | null
  last_status: number | null
  last_error: string | null
}

const toWebhook = (r: Row): QueuedWebhook => ({
  id: r.id,
  route: r.route,
  url: r.url,
  headers: JSON.parse(r.headers) as Record<string, string>,
  body: r.body,
  replayKeys: JSON.parse(r.replay_keys) as string[],
  state: r.state,
  attempts: r.attempts,
  retryBase: r.retry_base,
  nextAt: r.next_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
})

/** The gateway's durable queue (see {@link openForwardQueue}). */
export type ForwardQueue = ReturnType<typeof openForwardQueue>

/**
 * The gateway's outbox: SQLite (WAL, synchronous FULL), one row per verified webhook with its
 * headers and original bytes. The sender's outbox stores a JSON payload it re-signs on every
 * attempt; a gateway passes the provider's bytes and signature through untouched, so it keeps
 * its own small table. A row is committed before the caller is answered.
 *
 * @example
 * ```ts
 * const queue = openForwardQueue('/var/lib/zerohook/gateway/outbox.db')
 * queue.add({ id, route: '/github', url, headers, body, replayKeys }, Date.now())
 * ```
 */
export function openForwardQueue(file: string) {
  preparePrivateDatabase(file) // provider bodies and headers: other users may not read them
  const db = new Database(file)
  db.pragma('journal_mode = WAL')
  // Accepted means on disk: a power cut after the 202 must not lose the webhook.
  db.pragma('synchronous = FULL')
  // Triggers keep the unsettled count with each write, so the cap reads one row instead of
  // counting up to 100,000 rows per webhook; a queue from before the count is counted once.
  db.transaction(() => {
    db.exec(SCHEMA + unsettledCountSql('zh_gateway_queue', 'zh_gateway_unsettled'))
    // A queue from before replays: the retry schedule counts from its start.
    const columns = db.prepare(`SELECT name FROM pragma_table_info('zh_gateway_queue')`).pluck()
    if (!(columns.all() as string[]).includes('retry_base'))
      db.exec(`ALTER TABLE zh_gateway_queue ADD COLUMN retry_base INTEGER NOT NULL DEFAULT 0`)
  }).immediate()
  // Inserts nothing when `maxPending` webhooks are unsettled: the check and the write are one.
  const insert = db.prepare(`INSERT INTO zh_gateway_queue
    (id, route, url, headers, body, replay_keys, state, created_at, updated_at)
    SELECT ?, ?, ?, ?, ?, ?, 'in-flight', ?, ? FROM zh_gateway_unsettled WHERE n < ?`)
  const unsettled = db.prepare(`SELECT n FROM zh_gateway_unsettled`).pluck()
  const due = db.prepare(`SELECT * FROM zh_gateway_queue
    WHERE state = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?`)
  const claim = db.prepare(
    `UPDATE zh_gateway_queue SET state = 'in-flight', updated_at = ? WHERE id = ?`,
  )
  const settle = db.prepare(`UPDATE zh_gateway_queue SET state = ?, attempts = attempts + 1,
    next_at = ?, last_status = ?, last_error = ?, updated_at = ? WHERE id = ?`)
  const record = db.prepare(`INSERT OR REPLACE INTO zh_gateway_attempts
    (id, attempt, at, status, error, latency_ms)
    SELECT id, attempts, ?, ?, ?, ? FROM zh_gateway_queue WHERE id = ?`)
  const finish = db.transaction((id: string, r: AttemptResult, now: number, at: number) => {
    settle.run(r.state, r.nextAt, r.status, r.error, now, id)
    record.run(at, r.status, r.error, Math.max(0, now - at), id)
  })
  // Newest first; ties on created_at are broken by id, so the cursor never skips or repeats.
  const list = db.prepare(`SELECT id, route, url, state, created_at, next_at,
      length(body) AS body_bytes FROM zh_gateway_queue
    WHERE (@state IS NULL OR state = @state) AND (@route IS NULL OR route = @route)
      AND (@before IS NULL OR (created_at, id) <
        (SELECT created_at, id FROM zh_gateway_queue WHERE id = @before))
    ORDER BY created_at DESC, id DESC LIMIT @limit`)
  const attemptsOf = db.prepare(`SELECT attempt, at, status, error, latency_ms AS latencyMs
    FROM zh_gateway_attempts WHERE id = ? ORDER BY attempt`)
  const replay = db.prepare(`UPDATE zh_gateway_queue SET state = 'pending', next_at = @now,
    retry_base = attempts, updated_at = @now WHERE id = @id AND state IN ('failed', 'rejected')`)
  const purgeAttempts = db.prepare(`DELETE FROM zh_gateway_attempts WHERE id IN
    (SELECT id FROM zh_gateway_queue WHERE state = 'delivered' AND updated_at < ?)`)
  const purge = db.prepare(
    `DELETE FROM zh_gateway_queue WHERE state = 'delivered' AND updated_at < ?`,
  )
  const purgeDelivered = db.transaction((before: number): number => {
    purgeAttempts.run(before)
    return purge.run(before).changes
  })
  const claimDue = db.transaction((now: number, limit: number) => {
    const rows = due.all(now, limit) as Row[]
    for (const row of rows) claim.run(now, row.id)
    return rows.map((r) => toWebhook({ ...r, state: 'in-flight' }))
  })

  return {
    /**
     * Commits a new webhook as in flight: its first attempt is made by the caller. Throws
     * ZH_OUTBOX_FULL, storing nothing, when `maxPending` webhooks are pending or in flight.
     */
    add(
      w: Pick<QueuedWebhook, 'id' | 'route' | 'url' | 'headers' | 'body' | 'replayKeys'>,
      now: number,
      maxPending = Number.MAX_SAFE_INTEGER,
    ): QueuedWebhook {
      const headers = JSON.stringify(w.headers)
      const keys = JSON.stringify(w.replayKeys)
      const args = [w.id, w.route, w.url, headers, w.body, keys, now, now, maxPending]
      if (insert.run(...args).changes === 0) {
        throw new ZhError('ZH_OUTBOX_FULL', `${maxPending} webhooks pending`)
      }
      return {
        ...w,
        state: 'in-flight',
        attempts: 0,
        retryBase: 0,
        nextAt: null,
        lastStatus: null,
        lastError: null,
      }
    },
    /** Marks pending webhooks due at `now` as in flight (up to `limit`) and returns them. */
    claimDue: (now: number, limit: number): QueuedWebhook[] => claimDue(now, limit),
    /** Records the outcome of an attempt that started at `at`, and the attempt itself. */
    finish(id: string, result: AttemptResult, now: number, at = now): void {
      finish(id, result, now, at)
    },
    /** Webhooks newest first, with their attempts; see {@link ListFilter}. */
    list(filter: ListFilter): ListedWebhook[] {
      const { state = null, route = null, before = null, limit } = filter
      const rows = list.all({ state, route, before, limit }) as (Pick<
        Row,
        'id' | 'route' | 'url' | 'state' | 'created_at' | 'next_at'
      > & { body_bytes: number })[]
      return rows.map((r) => ({
        id: r.id,
        route: r.route,
        url: r.url,
        state: r.state,
        createdAt: r.created_at,
        nextAt: r.next_at,
        bodyBytes: r.body_bytes,
        attempts: attemptsOf.all(r.id) as ForwardAttempt[],
      }))
    },
    /**
     * Puts a failed or rejected webhook back to pending, due now, with a fresh retry schedule.
     * False when there is no such webhook in one of those states.
     */
    replay(id: string, now: number): boolean {
      return replay.run({ id, now }).changes > 0
    },
    /**
     * On start: webhooks left in flight by a stop or crash, and pending ones, are due now (a
     * restart is usually the operator fixing the target). Resolves how many.
     */
    resume(now: number): number {
      return db
        .prepare(
          `UPDATE zh_gateway_queue SET state = 'pending', next_at = ?, updated_at = ?
          WHERE state IN ('pending', 'in-flight')`,
        )
        .run(now, now).changes
    },
    nextDueAt(): number | undefined {
      const row = db
        .prepare(`SELECT MIN(next_at) AS at FROM zh_gateway_queue WHERE state = 'pending'`)
        .get() as { at: number | null }
      return row.at ?? undefined
    },
    get(id: string): QueuedWebhook | undefined {
      const row = db.prepare('SELECT * FROM zh_gateway_queue WHERE id = ?').get(id) as
        Row | undefined
      return row && toWebhook(row)
    },
    counts(): Record<ForwardState, number> {
      const counts = { pending: 0, 'in-flight': 0, delivered: 0, rejected: 0, failed: 0 }
      const rows = db
        .prepare('SELECT state, COUNT(*) AS n FROM zh_gateway_queue GROUP BY state')
        .all() as { state: ForwardState; n: number }[]
      for (const { state, n } of rows) counts[state] = n
      return counts
    },
    /** How many webhooks are pending or in flight. */
    pendingCount: (): number => unsettled.get() as number,
    /** Deletes delivered webhooks last updated before `before` (failed and rejected stay). */
    purgeDelivered(before: number): number {
      return purgeDelivered(before)
    },
    close(): void {
      db.close()
    },
  }
}
