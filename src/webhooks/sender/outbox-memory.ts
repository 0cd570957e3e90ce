import {
  listLimit,
  type AttemptRecord,
  type MessageState,
  type OutboxMessage,
  type OutboxStore,
} from './types.js'

const SETTLED: ReadonlySet<MessageState> = new Set(['delivered', 'failed', 'disabled'])

/**
 * An outbox in memory, for tests and for senders that may lose messages on a crash. It keeps
 * the same rules as the SQLite outbox, so one sender test suite runs on both.
 *
 * @example
 * ```ts
 * const sender = createSender({ store: createMemoryOutbox(), signing: { secret }, transport })
 * ```
 */
export function createMemoryOutbox(): OutboxStore {
  const messages = new Map<string, OutboxMessage & { updatedAt: number }>()
  const attempts = new Map<string, AttemptRecord[]>()
  const disabled = new Set<string>()
  // Kept as states change, so the sender's cap costs nothing however full the outbox is.
  let unsettled = 0
  const put = (id: string, change: Partial<OutboxMessage>, now: number): void => {
    const before = messages.get(id)!
    const after = { ...before, ...change, updatedAt: now }
    unsettled += Number(!SETTLED.has(after.state)) - Number(!SETTLED.has(before.state))
    messages.set(id, after)
  }
  const pendingOf = () => [...messages.values()].filter((m) => m.state === 'pending')
  // The SQLite outbox's order: newest first, ties broken by id.
  const newestFirst = (a: OutboxMessage, b: OutboxMessage): number =>
    b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0)
  const strip = ({ updatedAt: _, ...m }: OutboxMessage & { updatedAt: number }): OutboxMessage => m

  return {
    enqueue(m) {
      if (messages.has(m.id)) return Promise.resolve(false)
      const { now, ...fields } = m
      messages.set(m.id, {
        ...fields,
        body: Uint8Array.from(m.body),
        state: 'pending',
        attempts: 0,
        createdAt: now,
        updatedAt: now,
        lastStatus: null,
        lastError: null,
      })
      unsettled++
      return Promise.resolve(true)
    },
    claimDue(now, limit) {
      const due = pendingOf()
        .filter((m) => m.nextAt !== null && m.nextAt <= now)
        .sort((a, b) => a.nextAt! - b.nextAt!)
        .slice(0, limit)
      for (const m of due) put(m.id, { state: 'in-flight' }, now)
      return Promise.resolve(due.map((m) => strip(messages.get(m.id)!)))
    },
    finish(attempt, outcome) {
      const now = attempt.at + attempt.latencyMs
      const message = messages.get(attempt.messageId)
      if (!message) return Promise.resolve({ state: 'failed', disabled: [] })
      attempts.set(attempt.messageId, [...(attempts.get(attempt.messageId) ?? []), attempt])
      const stopped: string[] = []
      if (outcome.kind === 'disable') {
        disabled.add(message.endpoint)
        for (const m of pendingOf()) {
          if (m.endpoint !== message.endpoint) continue
          put(m.id, { state: 'disabled', nextAt: null }, now)
          stopped.push(m.id)
        }
      }
      const state: MessageState =
        outcome.kind === 'retry'
          ? disabled.has(message.endpoint)
            ? 'disabled'
            : 'pending'
          : outcome.kind === 'disable'
            ? 'disabled'
            : outcome.kind
      put(
        message.id,
        {
          state,
          attempts: Math.max(message.attempts, attempt.attempt),
          nextAt: state === 'pending' && outcome.kind === 'retry' ? outcome.nextAt : null,
          lastStatus: attempt.status,
          lastError: attempt.error,
        },
        now,
      )
      return Promise.resolve({ state, disabled: stopped })
    },
    recover(now) {
      const stuck = [...messages.values()].filter((m) => m.state === 'in-flight')
      for (const m of stuck) put(m.id, { state: 'pending', nextAt: now }, now)
      return Promise.resolve(stuck.length)
    },
    nextDueAt() {
      const times = pendingOf().map((m) => m.nextAt!)
      return Promise.resolve(times.length ? Math.min(...times) : undefined)
    },
    isDisabled: (endpoint) => Promise.resolve(disabled.has(endpoint)),
    enableEndpoint(endpoint) {
      disabled.delete(endpoint)
      return Promise.resolve()
    },
    get(id) {
      const m = messages.get(id)
      return Promise.resolve(m && strip(m))
    },
    attempts: (id) => Promise.resolve([...(attempts.get(id) ?? [])]),
    counts() {
      const counts = { pending: 0, 'in-flight': 0, delivered: 0, failed: 0, disabled: 0 }
      for (const m of messages.values()) counts[m.state]++
      return Promise.resolve(counts)
    },
    list(filter) {
      const cursor = filter.before === undefined ? undefined : messages.get(filter.before)
      if (filter.before !== undefined && !cursor) return Promise.resolve([])
      const page = [...messages.values()]
        .filter(
          (m) =>
            (filter.state === undefined || m.state === filter.state) &&
            (filter.endpoint === undefined || m.endpoint === filter.endpoint) &&
            (cursor === undefined || newestFirst(cursor, m) < 0),
        )
        .sort(newestFirst)
        .slice(0, listLimit(filter.limit))
      return Promise.resolve(page.map(strip))
    },
    replay(id, now) {
      const m = messages.get(id)
      if (!m || (m.state !== 'failed' && m.state !== 'disabled')) return Promise.resolve(false)
      put(id, { state: 'pending', nextAt: now }, now)
      disabled.delete(m.endpoint)
      return Promise.resolve(true)
    },
    pendingCount: () => Promise.resolve(unsettled),
    purge(before) {
      let gone = 0
      for (const m of [...messages.values()]) {
        if (!SETTLED.has(m.state) || m.updatedAt >= before) continue
        messages.delete(m.id)
        attempts.delete(m.id)
        gone++
      }
      return Promise.resolve(gone)
    },
    close: () => Promise.resolve(),
  }
}
