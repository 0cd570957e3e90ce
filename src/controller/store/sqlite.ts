import Database from 'better-sqlite3'
import { ZhError, isZhError } from '../../errors.js'
import { preparePrivateDatabase } from '../../private-files.js'
import { sqliteMigrations } from './migrations-sqlite.js'
import type { SqlParam, Store, Topic, Tx } from './types.js'

type Statement = Database.Statement<SqlParam[]>

/**
 * Opens (creating if needed, mode 0600) the embedded store: WAL journal, foreign keys on, every
 * pending migration applied in one transaction. A file migrated by a newer version is refused.
 */
export function openSqliteStore(path: string): Store {
  try {
    preparePrivateDatabase(path) // SQLite gives the -wal and -shm files the same mode
  } catch (err) {
    if (isZhError(err, 'ZH_CONFIG_FILE_MODE')) throw err
    const cause = (err as { cause?: NodeJS.ErrnoException }).cause
    throw new ZhError('ZH_STORE_UNREACHABLE', `${path}: ${cause?.code ?? 'cannot create'}`)
  }
  const db = new Database(path)
  db.pragma('journal_mode = WAL')
  db.pragma('synchronous = NORMAL')
  db.pragma('foreign_keys = ON')
  db.pragma('busy_timeout = 5000')
  db.pragma('journal_size_limit = 4194304')
  try {
    migrate(db)
  } catch (err) {
    db.close()
    throw err
  }
  return new SqliteStore(db, path)
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number
  if (current > sqliteMigrations.length)
    throw new ZhError(
      'ZH_STORE_SCHEMA_NEWER',
      `schema version ${current}, this version knows ${sqliteMigrations.length}`,
    )
  // Every pending migration in one transaction: a failure leaves the file as it was.
  let version = current
  try {
    db.transaction(() => {
      for (; version < sqliteMigrations.length; version++) db.exec(sqliteMigrations[version]!)
      db.pragma(`user_version = ${sqliteMigrations.length}`)
    })()
  } catch (err) {
    throw new ZhError(
      'ZH_STORE_MIGRATION_FAILED',
      `migration ${version + 1}: ${(err as Error).message}`,
    )
  }
}

/**
 * better-sqlite3 is synchronous and has one connection: a transaction that awaits between its
 * statements must own that connection until it ends, so statements from elsewhere queue behind
 * it instead of landing inside it. With no transaction open, a statement runs at once.
 */
class SqliteStore implements Store {
  readonly kind = 'sqlite'
  private readonly statements = new Map<string, Statement>()
  private readonly watchers = new Set<{ topic: Topic; onWake: () => void }>()
  private tail: Promise<void> = Promise.resolve()
  private queued = 0

  constructor(
    private readonly db: Database.Database,
    readonly location: string,
  ) {}

  all<T>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return this.now(() => this.prepare(sql).all(...params) as T[])
  }

  get<T>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    return this.now(() => this.prepare(sql).get(...params) as T | undefined)
  }

  run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return this.now(() => this.prepare(sql).run(...params).changes)
  }

  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.enqueue(async () => {
      let open = true
      const announced = new Set<Topic>()
      const guard = <R>(op: () => R): Promise<R> => {
        if (!open) return Promise.reject(new Error('transaction already ended'))
        return this.attempt(op)
      }
      const tx: Tx = {
        all: <R>(sql: string, params: readonly SqlParam[] = []) =>
          guard(() => this.prepare(sql).all(...params) as R[]),
        get: <R>(sql: string, params: readonly SqlParam[] = []) =>
          guard(() => this.prepare(sql).get(...params) as R | undefined),
        run: (sql, params = []) => guard(() => this.prepare(sql).run(...params).changes),
        announce: (topic) => {
          announced.add(topic)
          return Promise.resolve()
        },
      }
      this.db.exec('BEGIN IMMEDIATE')
      try {
        const result = await fn(tx)
        this.db.exec('COMMIT')
        for (const topic of announced) this.wake(topic)
        return result
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK')
        throw err
      } finally {
        open = false
      }
    })
  }

  announce(topic: Topic): Promise<void> {
    this.wake(topic)
    return Promise.resolve()
  }

  watch(topic: Topic, onWake: () => void): () => void {
    const watcher = { topic, onWake }
    this.watchers.add(watcher)
    return () => this.watchers.delete(watcher)
  }

  private wake(topic: Topic): void {
    for (const w of this.watchers) if (w.topic === topic) w.onWake()
  }

  close(): Promise<void> {
    return this.enqueue(() => {
      this.db.close()
    })
  }

  private prepare(sql: string): Statement {
    let statement = this.statements.get(sql)
    if (!statement) {
      statement = this.db.prepare<SqlParam[]>(sql)
      this.statements.set(sql, statement)
    }
    return statement
  }

  /** Runs a statement at once when nothing holds the connection, else after what does. */
  private now<T>(op: () => T): Promise<T> {
    return this.queued === 0 ? this.attempt(op) : this.enqueue(op)
  }

  private attempt<T>(op: () => T): Promise<T> {
    try {
      return Promise.resolve(op())
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)))
    }
  }

  private enqueue<T>(task: () => T | Promise<T>): Promise<T> {
    this.queued++
    const result = this.tail.then(task)
    this.tail = result.then(
      () => void this.queued--,
      () => void this.queued--,
    )
    return result
  }
}
