/** A value bound to a `?` placeholder. SQL text never carries values: only placeholders. */
export type SqlParam = string | number | null

/**
 * What the models read and write through: a store, or one transaction of it. SQL is written once
 * for both databases, with `?` placeholders (PostgreSQL's `$n` are made from them) and integers
 * for times (ms since the epoch) and flags.
 */
export interface Queryable {
  /** Every row the statement returns. */
  all<T>(sql: string, params?: readonly SqlParam[]): Promise<T[]>
  /** The first row, if any. */
  get<T>(sql: string, params?: readonly SqlParam[]): Promise<T | undefined>
  /** Runs a write; resolves to how many rows it changed. */
  run(sql: string, params?: readonly SqlParam[]): Promise<number>
}

/**
 * What replicas tell each other about: recorded changes (the change feed), router presence
 * (which router is connected to which replica, with its links; see routing/presence.ts), and
 * replicas starting or stopping (replicas.ts).
 */
export type Topic = 'changes' | 'routers' | 'replicas'

/** One transaction: all of it commits, or none of it. */
export interface Tx extends Queryable {
  /** Wakes every replica's watchers of `topic` when (and only if) this transaction commits. */
  announce(topic: Topic): Promise<void>
}

/** Options of {@link Store.transaction}. */
export interface TxOptions {
  /**
   * Serializes this transaction with every other `exclusive` one across all replicas (a
   * transaction-scoped advisory lock on PostgreSQL; SQLite has one writer anyway). Changes that
   * compute what they took away, or check-then-insert a unique name, need it.
   */
  exclusive?: boolean
}

/** The controller's store: the embedded SQLite file, or a PostgreSQL database shared by replicas. */
export interface Store extends Queryable {
  readonly kind: 'sqlite' | 'postgres'
  /** Where it is, for logs (a password in a URL is masked). */
  readonly location: string
  /** Runs `fn` in one transaction; a throw rolls everything back. Inside, use only `tx`. */
  transaction<T>(fn: (tx: Tx) => Promise<T>, opts?: TxOptions): Promise<T>
  /** Wakes every replica's watchers of `topic` now (outside a transaction). */
  announce(topic: Topic): Promise<void>
  /**
   * Calls `onWake` whenever any replica announced `topic`, and after the store's notification
   * channel (re)connected, when some may have been missed. Returns a stop function.
   */
  watch(topic: Topic, onWake: () => void): () => void
  close(): Promise<void>
}
