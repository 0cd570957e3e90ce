import pg from 'pg'
import { ZhError } from '../../errors.js'
import { postgresMigrations } from './migrations-postgres.js'
import { numberedPlaceholders } from './placeholders.js'
import { maskUrl, storeError } from './postgres-errors.js'
import type { SqlParam, Store, Topic, Tx, TxOptions } from './types.js'

/** Advisory lock keys: one for migrations, one serializing exclusive transactions. */
const MIGRATION_LOCK = 0x7a68_6d67
const CHANGE_LOCK = 0x7a68_6368
/** The NOTIFY channel of each topic. */
const CHANNELS: Record<Topic, string> = {
  changes: 'zerohook_changes',
  routers: 'zerohook_routers',
  replicas: 'zerohook_replicas',
}
const LISTEN_BACKOFF_MIN = 200
const LISTEN_BACKOFF_MAX = 5_000

/** PostgreSQL's type id of BIGINT. */
const INT8_OID = 20

/** BIGINT (times in ms) as a JS number: our values stay far below 2^53. */
function typeParser(oid: number, format: 'text' | 'binary' = 'text'): (value: string) => unknown {
  if (oid === INT8_OID) return Number
  return pg.types.getTypeParser(oid, format) as (value: string) => unknown
}
const typeParsers = { getTypeParser: typeParser as typeof pg.types.getTypeParser }

/** Options of {@link openPostgresStore}. */
export interface PostgresOptions {
  /** Connections in the pool (default 10). */
  poolSize?: number
  /** How long to wait for a connection, ms (default 5 s). */
  connectTimeoutMs?: number
  /** Called with a line when the notification channel drops or comes back. */
  onNotice?: (message: string, err?: unknown) => void
}

/**
 * Connects to a PostgreSQL database shared by controller replicas and brings its schema up to
 * date: every pending migration runs in one transaction under an advisory lock, so replicas
 * starting together migrate once and a failure leaves the schema as it was. A schema newer than
 * this code is refused (ZH_STORE_SCHEMA_NEWER).
 */
export async function openPostgresStore(url: string, opts: PostgresOptions = {}): Promise<Store> {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new ZhError('ZH_STORE_URL_INVALID', 'not a URL')
  }
  const location = maskUrl(parsed)
  const config: pg.PoolConfig = {
    connectionString: url,
    max: opts.poolSize ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
    idleTimeoutMillis: 30_000,
    application_name: 'zerohook-controller',
    types: typeParsers,
  }
  const pool = new pg.Pool(config)
  // An idle connection that dies is dropped by the pool; the next query gets a fresh one.
  pool.on('error', (err) => opts.onNotice?.('idle database connection lost', err))
  try {
    await migrate(pool, location)
  } catch (err) {
    await pool.end().catch(() => undefined)
    throw storeError(err, location, true)
  }
  return new PostgresStore(pool, config, location, opts)
}

async function migrate(pool: pg.Pool, location: string): Promise<void> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
    await client.query('CREATE TABLE IF NOT EXISTS zh_schema (version INTEGER NOT NULL)')
    const row = (await client.query<{ version: number }>('SELECT version FROM zh_schema')).rows[0]
    const current = row?.version ?? 0
    if (current > postgresMigrations.length)
      throw new ZhError(
        'ZH_STORE_SCHEMA_NEWER',
        `${location}: schema version ${current}, this version knows ${postgresMigrations.length}`,
      )
    for (let version = current; version < postgresMigrations.length; version++) {
      try {
        await client.query(postgresMigrations[version]!)
      } catch (err) {
        throw new ZhError(
          'ZH_STORE_MIGRATION_FAILED',
          `migration ${version + 1}: ${(err as Error).message}`,
          { cause: err },
        )
      }
    }
    if (!row)
      await client.query('INSERT INTO zh_schema (version) VALUES ($1)', [postgresMigrations.length])
    else if (current < postgresMigrations.length)
      await client.query('UPDATE zh_schema SET version = $1', [postgresMigrations.length])
    await client.query('COMMIT')
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined)
    throw err
  } finally {
    client.release()
  }
}

class PostgresStore implements Store {
  readonly kind = 'postgres'
  private readonly watchers = new Set<{ topic: Topic; onWake: () => void }>()
  private listener: pg.Client | undefined
  private listenTimer: NodeJS.Timeout | undefined
  private listenAttempt = 0
  private closed = false

  constructor(
    private readonly pool: pg.Pool,
    private readonly config: pg.PoolConfig,
    readonly location: string,
    private readonly opts: PostgresOptions,
  ) {}

  async all<T>(sql: string, params: readonly SqlParam[] = []): Promise<T[]> {
    return (await this.query<T>(this.pool, sql, params)).rows
  }

  async get<T>(sql: string, params: readonly SqlParam[] = []): Promise<T | undefined> {
    return (await this.query<T>(this.pool, sql, params)).rows[0]
  }

  async run(sql: string, params: readonly SqlParam[] = []): Promise<number> {
    return (await this.query(this.pool, sql, params)).rowCount ?? 0
  }

  async transaction<T>(fn: (tx: Tx) => Promise<T>, opts: TxOptions = {}): Promise<T> {
    let client: pg.PoolClient
    try {
      client = await this.pool.connect()
    } catch (err) {
      throw storeError(err, this.location, false)
    }
    let open = true
    const on = <R>(op: () => Promise<R>): Promise<R> =>
      open ? op() : Promise.reject(new Error('transaction already ended'))
    const tx: Tx = {
      all: (sql, params = []) => on(async () => (await this.query(client, sql, params)).rows),
      get: (sql, params = []) => on(async () => (await this.query(client, sql, params)).rows[0]),
      run: (sql, params = []) =>
        on(async () => (await this.query(client, sql, params)).rowCount ?? 0),
      announce: (topic) =>
        on(
          async () =>
            void (await this.query(client, 'SELECT pg_notify(?, ?)', [CHANNELS[topic], ''])),
        ),
    } as Tx
    let broken: Error | undefined
    try {
      await this.query(client, 'BEGIN', [])
      if (opts.exclusive) await this.query(client, 'SELECT pg_advisory_xact_lock(?)', [CHANGE_LOCK])
      const result = await fn(tx)
      await this.query(client, 'COMMIT', [])
      return result
    } catch (err) {
      await client.query('ROLLBACK').catch((e: Error) => (broken = e))
      throw err
    } finally {
      open = false
      client.release(broken)
    }
  }

  async announce(topic: Topic): Promise<void> {
    await this.query(this.pool, 'SELECT pg_notify(?, ?)', [CHANNELS[topic], ''])
  }

  watch(topic: Topic, onWake: () => void): () => void {
    const watcher = { topic, onWake }
    this.watchers.add(watcher)
    if (!this.listener && !this.listenTimer) void this.listen()
    return () => {
      this.watchers.delete(watcher)
      if (this.watchers.size === 0) this.stopListening()
    }
  }

  async close(): Promise<void> {
    this.closed = true
    this.stopListening()
    await this.pool.end()
  }

  private async query<T>(
    on: pg.Pool | pg.PoolClient,
    sql: string,
    params: readonly SqlParam[],
  ): Promise<pg.QueryResult<T & pg.QueryResultRow>> {
    try {
      return await on.query<T & pg.QueryResultRow>(numberedPlaceholders(sql), params as SqlParam[])
    } catch (err) {
      throw storeError(err, this.location, false)
    }
  }

  /** Holds a connection that LISTENs; when it drops, reconnects with backoff and wakes (catch-up). */
  private async listen(): Promise<void> {
    this.listenTimer = undefined
    if (this.closed || this.watchers.size === 0) return
    const client = new pg.Client(this.config)
    this.listener = client
    const retry = (err?: unknown) => {
      if (this.listener !== client) return
      this.listener = undefined
      client.removeAllListeners('notification')
      void client.end().catch(() => undefined)
      if (this.closed || this.watchers.size === 0) return
      this.opts.onNotice?.('change notifications lost; reconnecting', err)
      const delay = Math.min(LISTEN_BACKOFF_MAX, LISTEN_BACKOFF_MIN * 2 ** this.listenAttempt++)
      this.listenTimer = setTimeout(() => void this.listen(), delay)
      this.listenTimer.unref()
    }
    client.on('error', retry)
    client.on('end', () => retry())
    client.on('notification', (n) => {
      const topic = (Object.keys(CHANNELS) as Topic[]).find((t) => CHANNELS[t] === n.channel)
      if (topic) this.wake(topic)
    })
    try {
      await client.connect()
      for (const channel of Object.values(CHANNELS)) await client.query(`LISTEN ${channel}`)
    } catch (err) {
      return retry(err)
    }
    if (this.listener !== client) return
    if (this.listenAttempt > 0) this.opts.onNotice?.('change notifications back')
    this.listenAttempt = 0
    // Anything announced while we were not listening is read now.
    for (const topic of Object.keys(CHANNELS) as Topic[]) this.wake(topic)
  }

  private stopListening(): void {
    clearTimeout(this.listenTimer)
    this.listenTimer = undefined
    const client = this.listener
    this.listener = undefined
    if (client) void client.end().catch(() => undefined)
  }

  private wake(topic: Topic): void {
    for (const w of this.watchers) if (w.topic === topic) w.onWake()
  }
}
