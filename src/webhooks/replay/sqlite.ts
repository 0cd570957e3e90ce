import Database from 'better-sqlite3'
import { preparePrivateDatabase } from '../../private-files.js'
import { ZhError } from '../../errors.js'
import { nowSeconds, type ReplayStore } from './store.js'

/** Options of {@link createSqliteReplayStore}. */
export interface SqliteReplayOptions {
  /** A database file (created if needed, WAL) or an open better-sqlite3 handle to share. */
  readonly database: string | Database.Database
  /** Table name; default `zh_webhook_replay`. */
  readonly table?: string
  /** Delete expired rows every this many recorded ids; default 1000. */
  readonly purgeEvery?: number
  /** Also delete them every this many ms, so a store that goes quiet empties; default 10 min. */
  readonly purgeIntervalMs?: number
}

/** A SQLite replay store, with `purge()` to delete expired rows on demand. */
export interface SqliteReplayStore extends ReplayStore {
  /** Deletes expired rows; resolves how many went. */
  purge(now?: number): Promise<number>
}

/**
 * A replay store in SQLite: the id is the primary key, so concurrent receivers sharing the file
 * (WAL, busy timeout) agree on which one saw an id first. One statement checks and records,
 * taking over a row only when it has expired. Expired rows are purged as ids are recorded and
 * on a timer (which never keeps the process alive; `close()` stops it).
 *
 * @example
 * ```ts
 * const replay = createSqliteReplayStore({ database: '/var/lib/zerohook/replay.db' })
 * await verifyWebhook({ scheme: 'github', secret, headers, body, replay })
 * ```
 */
export function createSqliteReplayStore(options: SqliteReplayOptions): SqliteReplayStore {
  const table = options.table ?? 'zh_webhook_replay'
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table)) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'table must be a plain SQL identifier')
  }
  const purgeEvery = options.purgeEvery ?? 1000
  const purgeIntervalMs = options.purgeIntervalMs ?? 600_000
  if (!Number.isSafeInteger(purgeIntervalMs) || purgeIntervalMs < 1) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'purgeIntervalMs must be a positive integer')
  }
  const owned = typeof options.database === 'string'
  const db = typeof options.database === 'string' ? open(options.database) : options.database
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (
    key TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS ${table}_expires_at ON ${table} (expires_at);`)

  const record = db.prepare(
    `INSERT INTO ${table} (key, expires_at) VALUES (?, ?)
     ON CONFLICT (key) DO UPDATE SET expires_at = excluded.expires_at WHERE expires_at <= ?`,
  )
  const remove = db.prepare(`DELETE FROM ${table} WHERE key = ?`)
  const purge = db.prepare(`DELETE FROM ${table} WHERE expires_at <= ?`)
  let recorded = 0
  const timer = setInterval(() => {
    try {
      purge.run(nowSeconds())
    } catch {
      // A busy or closed database: the next purge tries again, and a real fault shows on the
      // next checkAndRemember, which has a caller to tell.
    }
  }, purgeIntervalMs)
  timer.unref()

  const guard = <T>(work: () => T): Promise<T> => {
    try {
      return Promise.resolve(work())
    } catch (cause) {
      return Promise.reject(new ZhError('ZH_WEBHOOK_REPLAY_STORE_FAILED', undefined, { cause }))
    }
  }

  return {
    checkAndRemember(key, expiresAt, now = nowSeconds()) {
      return guard(() => {
        const fresh = record.run(key, Math.ceil(expiresAt), now).changes === 1
        if (fresh && ++recorded % purgeEvery === 0) purge.run(now)
        return fresh
      })
    },
    forget(key) {
      return guard(() => void remove.run(key))
    },
    purge(now = nowSeconds()) {
      return guard(() => purge.run(now).changes)
    },
    close() {
      clearInterval(timer)
      return guard(() => {
        // A shared handle belongs to the caller; only a database this store opened is closed.
        if (owned && db.open) db.close()
      })
    },
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
