import type { PrivateKeyInput, SchemeName, Secret } from '../types.js'

/** Where a message is in its life. `in-flight` is an attempt under way (or cut by a crash). */
export type MessageState = 'pending' | 'in-flight' | 'delivered' | 'failed' | 'disabled'

/** A message in the outbox. Times are milliseconds since the epoch. */
export interface OutboxMessage {
  readonly id: string
  readonly endpoint: string
  readonly type: string
  /** The exact bytes every attempt sends (and signs). */
  readonly body: Uint8Array
  readonly state: MessageState
  /** Attempts made and recorded so far. */
  readonly attempts: number
  /** When the next attempt is due; null once the message is settled. */
  readonly nextAt: number | null
  readonly createdAt: number
  readonly lastStatus: number | null
  readonly lastError: string | null
}

/** One delivery attempt, as logged. Never the body, never the secret. */
export interface AttemptRecord {
  readonly messageId: string
  /** 1 for the first attempt. */
  readonly attempt: number
  readonly at: number
  /** The HTTP status, or null when no answer came (connection failure, timeout). */
  readonly status: number | null
  readonly latencyMs: number
  /** A ZH_SENDER_* code (with the system error code) when no answer came, else null. */
  readonly error: string | null
}

/** What an attempt decided for its message. */
export type AttemptOutcome =
  | { readonly kind: 'delivered' }
  | { readonly kind: 'retry'; readonly nextAt: number }
  | { readonly kind: 'failed' }
  | { readonly kind: 'disable' }

/** Which messages {@link OutboxStore.list} returns. */
export interface OutboxFilter {
  readonly state?: MessageState
  readonly endpoint?: string
  /** Default 100, at most 1000. */
  readonly limit?: number
  /** A message id: only messages older than it (the cursor of the next page). */
  readonly before?: string
}

/** The page size of {@link OutboxStore.list}: 100 by default, 1 to 1000. */
export const listLimit = (limit: number | undefined): number =>
  Math.min(1000, Math.max(1, Math.floor(limit ?? 100) || 100))

/** A new message for {@link OutboxStore.enqueue}. */
export interface NewMessage {
  readonly id: string
  readonly endpoint: string
  readonly type: string
  readonly body: Uint8Array
  readonly now: number
  readonly nextAt: number
}

/**
 * The durable outbox of a sender. A message is written here before its first attempt, and
 * each attempt's outcome is written with the attempt in one step, so a crash at any point
 * leaves either the old state or the new one. One sender works on one outbox at a time.
 */
export interface OutboxStore {
  /** Adds a pending message; resolves false (and changes nothing) when the id is already there. */
  enqueue(message: NewMessage): Promise<boolean>
  /** Marks up to `limit` pending messages due at `now` as in flight, and returns them. */
  claimDue(now: number, limit: number): Promise<OutboxMessage[]>
  /**
   * Records an attempt and settles its message. `disable` also marks the endpoint disabled and
   * its other pending messages `disabled` (their ids are returned); a `retry` of a message whose
   * endpoint is disabled becomes `disabled` too.
   */
  finish(
    attempt: AttemptRecord,
    outcome: AttemptOutcome,
  ): Promise<{ state: MessageState; disabled: string[] }>
  /** Puts messages left in flight by a crash back to pending, due at `now`; resolves how many. */
  recover(now: number): Promise<number>
  /** When the earliest pending message is due, if any. */
  nextDueAt(): Promise<number | undefined>
  isDisabled(endpoint: string): Promise<boolean>
  /** Lets new messages go to the endpoint again (the ones stopped stay `disabled`). */
  enableEndpoint(endpoint: string): Promise<void>
  get(id: string): Promise<OutboxMessage | undefined>
  attempts(id: string): Promise<AttemptRecord[]>
  counts(): Promise<Record<MessageState, number>>
  /** Messages, newest first; an unknown `before` id gives an empty page. */
  list(filter: OutboxFilter): Promise<OutboxMessage[]>
  /**
   * Puts a `failed` or `disabled` message back to pending, due at `now`, keeping its attempt
   * log, and lets its endpoint take messages again. Resolves false (changing nothing) for a
   * message in any other state or an unknown id.
   */
  replay(id: string, now: number): Promise<boolean>
  /** How many messages are not settled yet (pending or in flight); cheap, for the sender's cap. */
  pendingCount(): Promise<number>
  /** Deletes settled messages (and their attempts) last updated before `before`; resolves how many. */
  purge(before: number): Promise<number>
  close(): Promise<void>
}

/** What a transport is asked to do: one POST. */
export interface TransportRequest {
  readonly url: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: Uint8Array
  /** Aborted at the sender's timeout, or when it closes. */
  readonly signal?: AbortSignal
}

/** What came back. The body is not needed: it is read and discarded within a cap. */
export interface TransportResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>
}

/** Sends one request; rejects when no HTTP answer came. */
export type Transport = (request: TransportRequest) => Promise<TransportResponse>

/** How messages to an endpoint are signed; the id is the message's, the timestamp fresh. */
export interface SigningConfig {
  /** Default `standard`. */
  readonly scheme?: SchemeName
  readonly secret?: Secret | readonly Secret[]
  readonly key?: PrivateKeyInput | readonly PrivateKeyInput[]
}

/** The part of a pino logger the sender uses. */
export interface SenderLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** Time for the sender: real by default, a manual one in tests. */
export interface SenderClock {
  now(): number
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  setTimer(fn: () => void, ms: number): () => void
}

/** The progress a sender reports. */
export interface SenderEvents {
  delivered: {
    id: string
    endpoint: string
    attempt: number
    status: number
    latencyMs: number
    /** True when the receiver answered that it had already accepted this id (409 replayed). */
    duplicate: boolean
  }
  'attempt-failed': {
    id: string
    endpoint: string
    attempt: number
    status: number | null
    error: string | null
    latencyMs: number
    /** When the next attempt is due, or null when this was the last one. */
    nextAt: number | null
  }
  failed: {
    id: string
    endpoint: string
    attempts: number
    status: number | null
    error: string | null
  }
  'endpoint-disabled': { endpoint: string; ids: string[] }
}
