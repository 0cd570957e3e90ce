import Database from 'better-sqlite3'
import { preparePrivateDatabase } from '../../private-files.js'
import { ZhError } from '../../errors.js'
import { unsettledCountSql } from './unsettled-count.js'
import {
  listLimit,
  type AttemptRecord,
  type MessageState,
  type OutboxMessage,
  type OutboxStore,
} from './types.js'

/** Options of {@link createSqliteOutbox}. */
export interface SqliteOutboxOptions {
  /** A database file (created if needed, WAL) or an open better-sqlite3 handle to share. */
  readonly database: string | Database.Database
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS zh_outbox (
  id TEXT PRIMARY KEY NOT NULL,
  endpoint TEXT NOT NULL,
  type TEXT NOT NULL,
  body BLOB NOT NULL,
  state TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_at INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_status INTEGER,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS zh_outbox_due ON zh_outbox (state, next_at);
CREATE INDEX IF NOT EXISTS zh_outbox_endpoint ON zh_outbox (endpoint, state);
CREATE TABLE IF NOT EXISTS zh_outbox_attempts (
  message_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at INTEGER NOT NULL,
  status INTEGER,
  latency_ms INTEGER NOT NULL,
  error TEXT,
  PRIMARY KEY (message_id, attempt)
);
CREATE TABLE IF NOT EXISTS zh_outbox_endpoints (
  endpoint TEXT PRIMARY KEY NOT NULL,
  disabled_at INTEGER NOT NULL
);`

interface Row {
  id: string
  endpoint: string
  type: string
  body: Buffer
  state: MessageState
  attempts: number
  next_at: number | null
  created_at: number
  last_status: number | null
  last_error: string | null
}

const toMessage = (r: Row): OutboxMessage => ({
  id: r.id,
  endpoint: r.endpoint,
  type: r.type,
  body: r.body,
  state: r.state,
  attempts: r.attempts,
  nextAt: r.next_at,
  createdAt: r.created_at,
  lastStatus: r.last_status,
  lastError: r.last_error,
})

/**
 * The durable outbox: SQLite in WAL mode. A message is committed before `send()` resolves;
 * each attempt and its outcome commit in one transaction, so after a crash every message is
 * either settled or still due (messages caught in flight go back to pending on start).
 *
 * @example
 * ```ts
 * const sender = createSender({ store: createSqliteOutbox({ database: 'outbox.db' }), signing: { secret } })
 * ```
 */
export function createSqliteOutbox(options: SqliteOutboxOptions): OutboxStore {
  const owned = typeof options.database === 'string'
  const db = typeof options.database === 'string' ? open(options.database) : options.database
  // The unsettled count is kept by triggers, in the same transaction as each write, so the
  // sender's cap reads one row (a COUNT over 100,000 pending rows takes ~5 ms per send). The
  // first open counts what an older outbox holds, atomically with creating the triggers.
  db.transaction(() =>
    db.exec(SCHEMA + unsettledCountSql('zh_outbox', 'zh_outbox_unsettled')),
  ).immediate()
  const q = {
    insert:
      db.prepare(`INSERT INTO zh_outbox (id, endpoint, type, body, state, next_at, created_at, updated_at)
      VALUES (@id, @endpoint, @type, @body, 'pending', @nextAt, @now, @now) ON CONFLICT (id) DO NOTHING`),
    claim: db.prepare(`UPDATE zh_outbox SET state = 'in-flight', updated_at = @now WHERE id IN (
      SELECT id FROM zh_outbox WHERE state = 'pending' AND next_at <= @now ORDER BY next_at LIMIT @limit)
      RETURNING *`),
    attempt:
      db.prepare(`INSERT OR REPLACE INTO zh_outbox_attempts (message_id, attempt, at, status, latency_ms, error)
      VALUES (@messageId, @attempt, @at, @status, @latencyMs, @error)`),
    endpointOf: db.prepare(`SELECT endpoint FROM zh_outbox WHERE id = ?`).pluck(),
    disabledAt: db
      .prepare(`SELECT disabled_at FROM zh_outbox_endpoints WHERE endpoint = ?`)
      .pluck(),
    disable: db.prepare(
      `INSERT OR IGNORE INTO zh_outbox_endpoints (endpoint, disabled_at) VALUES (?, ?)`,
    ),
    enable: db.prepare(`DELETE FROM zh_outbox_endpoints WHERE endpoint = ?`),
    stopPending: db
      .prepare(
        `UPDATE zh_outbox SET state = 'disabled', next_at = NULL, updated_at = @now
      WHERE endpoint = @endpoint AND state = 'pending' RETURNING id`,
      )
      .pluck(),
    settle: db.prepare(`UPDATE zh_outbox SET state = @state, attempts = max(attempts, @attempt),
      next_at = @nextAt, last_status = @status, last_error = @error, updated_at = @now WHERE id = @id`),
    recover: db.prepare(`UPDATE zh_outbox SET state = 'pending', next_at = @now, updated_at = @now
      WHERE state = 'in-flight'`),
    nextDue: db.prepare(`SELECT min(next_at) FROM zh_outbox WHERE state = 'pending'`).pluck(),
    get: db.prepare(`SELECT * FROM zh_outbox WHERE id = ?`),
    attempts:
      db.prepare(`SELECT message_id AS messageId, attempt, at, status, latency_ms AS latencyMs, error
      FROM zh_outbox_attempts WHERE message_id = ? ORDER BY attempt`),
    // Newest first; ties on created_at are broken by id, so the cursor never skips or repeats.
    list: db.prepare(`SELECT * FROM zh_outbox
      WHERE (@state IS NULL OR state = @state) AND (@endpoint IS NULL OR endpoint = @endpoint)
        AND (@before IS NULL OR (created_at, id) < (SELECT created_at, id FROM zh_outbox WHERE id = @before))
      ORDER BY created_at DESC, id DESC LIMIT @limit`),
    replay: db.prepare(`UPDATE zh_outbox SET state = 'pending', next_at = @now, updated_at = @now
      WHERE id = @id AND state IN ('failed', 'disabled')`),
    counts: db.prepare(`SELECT state, count(*) AS n FROM zh_outbox GROUP BY state`),
    unsettled: db.prepare(`SELECT n FROM zh_outbox_unsettled`).pluck(),
    purgeAttempts:
      db.prepare(`DELETE FROM zh_outbox_attempts WHERE message_id IN (SELECT id FROM zh_outbox
      WHERE state IN ('delivered', 'failed', 'disabled') AND updated_at < ?)`),
    purge: db.prepare(
      `DELETE FROM zh_outbox WHERE state IN ('delivered', 'failed', 'disabled') AND updated_at < ?`,
    ),
  }

  const finish = db.transaction(
    (attempt: AttemptRecord, outcome: Parameters<OutboxStore['finish']>[1]) => {
      const now = attempt.at + attempt.latencyMs
      const endpoint = q.endpointOf.get(attempt.messageId) as string | undefined
      if (endpoint === undefined) return { state: 'failed' as MessageState, disabled: [] }
      q.attempt.run(attempt)
      let disabled: string[] = []
      if (outcome.kind === 'disable') {
        q.disable.run(endpoint, now)
        disabled = (q.stopPending.all({ endpoint, now }) as string[]).filter(
          (id) => id !== attempt.messageId,
        )
      }
      const retryDisabled = outcome.kind === 'retry' && q.disabledAt.get(endpoint) !== undefined
      const state: MessageState =
        outcome.kind === 'retry'
          ? retryDisabled
            ? 'disabled'
            : 'pending'
          : outcome.kind === 'disable'
            ? 'disabled'
            : outcome.kind
      const nextAt = state === 'pending' && outcome.kind === 'retry' ? outcome.nextAt : null
      q.settle.run({ ...attempt, id: attempt.messageId, state, nextAt, now })
      return { state, disabled }
    },
  )

  const replay = db.transaction((id: string, now: number): boolean => {
    if (q.replay.run({ id, now }).changes === 0) return false
    q.enable.run(q.endpointOf.get(id))
    return true
  })

  const guard = <T>(work: () => T): Promise<T> => {
    try {
      return Promise.resolve(work())
    } catch (cause) {
      return Promise.reject(new ZhError('ZH_SENDER_STORE_FAILED', undefined, { cause }))
    }
  }

  return {
    enqueue: (m) => guard(() => q.insert.run({ ...m, body: Buffer.from(m.body) }).changes === 1),
    claimDue: (now, limit) => guard(() => (q.claim.all({ now, limit }) as Row[]).map(toMessage)),
    finish: (attempt, outcome) => guard(() => finish(attempt, outcome)),
    recover: (now) => guard(() => q.recover.run({ now }).changes),
    nextDueAt: () => guard(() => (q.nextDue.get() as number | null) ?? undefined),
    isDisabled: (endpoint) => guard(() => q.disabledAt.get(endpoint) !== undefined),
    enableEndpoint: (endpoint) => guard(() => void q.enable.run(endpoint)),
    get: (id) =>
      guard(() => {
        const row = q.get.get(id) as Row | undefined
        return row && toMessage(row)
      }),
    attempts: (id) => guard(() => q.attempts.all(id) as AttemptRecord[]),
    counts: () =>
      guard(() => {
        const counts = { pending: 0, 'in-flight': 0, delivered: 0, failed: 0, disabled: 0 }
        for (const { state, n } of q.counts.all() as { state: MessageState; n: number }[])
          counts[state] = n
        return counts
      }),
    list: (filter) =>
      guard(() => {
        const { state = null, endpoint = null, before = null } = filter
        const rows = q.list.all({ state, endpoint, before, limit: listLimit(filter.limit) })
        return (rows as Row[]).map(toMessage)
      }),
    replay: (id, now) => guard(() => replay(id, now)),
    pendingCount: () => guard(() => q.unsettled.get() as number),
    purge: (before) =>
      guard(() =>
        db.transaction(() => {
          q.purgeAttempts.run(before)
          return q.purge.run(before).changes
        })(),
      ),
    close: () =>
      guard(() => {
        // A shared handle belongs to the caller; only a database this store opened is closed.
        if (owned && db.open) db.close()
      }),
  }
}

function open(path: string): Database.Database {
  preparePrivateDatabase(path) // bodies and ids: other users have no business reading them
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('busy_timeout = 5000')
  return db
}
