import { ZhError } from '../../errors.js'
import { nowSeconds, type ReplayStore } from './store.js'

/** Options of {@link createMemoryReplayStore}. */
export interface MemoryReplayOptions {
  /** Most ids kept at once; default 100,000. */
  readonly maxEntries?: number
  /** Expired ids are also dropped every this many ms, so a quiet store frees them; default 10 min. */
  readonly purgeIntervalMs?: number
}

/**
 * An in-process replay store: bounded, with per-key expiry. When full it evicts the entry that
 * expires first, so expired ids always go before live ones; only a flood of *verified* messages
 * can fill it, since ids are recorded after the signature checks. Expired ids also go on a timer
 * (which never keeps the process alive; `close()` stops it). Use the SQLite store when
 * several processes receive the same webhooks, or when ids must survive a restart.
 *
 * @example
 * ```ts
 * const replay = createMemoryReplayStore({ maxEntries: 10_000 })
 * await verifyWebhook({ scheme: 'standard', secret, headers, body, replay })
 * ```
 */
export function createMemoryReplayStore(options: MemoryReplayOptions = {}): ReplayStore {
  const max = options.maxEntries ?? 100_000
  if (!Number.isInteger(max) || max < 1) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'maxEntries must be a positive integer')
  }
  const purgeIntervalMs = options.purgeIntervalMs ?? 600_000
  if (!Number.isSafeInteger(purgeIntervalMs) || purgeIntervalMs < 1) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'purgeIntervalMs must be a positive integer')
  }
  const expiries = new Map<string, number>()
  const heap = new ExpiryHeap()

  // Heap entries go stale when a key is re-recorded or forgotten; they are skipped on pop. The
  // id just accepted is never the one evicted: a store must remember the last id it said was new.
  const evict = (upTo: number, keep?: string): void => {
    let kept: { key: string; expiresAt: number } | undefined
    while (heap.peek() !== undefined && (heap.peek()! <= upTo || expiries.size > max)) {
      const top = heap.pop()!
      if (expiries.get(top.key) !== top.expiresAt) continue
      if (top.key === keep) kept = top
      else expiries.delete(top.key)
    }
    if (kept) heap.push(kept.key, kept.expiresAt)
  }

  const timer = setInterval(() => evict(nowSeconds()), purgeIntervalMs)
  timer.unref()

  return {
    checkAndRemember(key, expiresAt, now = nowSeconds()) {
      evict(now)
      const known = expiries.get(key)
      if (known !== undefined && known > now) return Promise.resolve(false)
      expiries.set(key, expiresAt)
      heap.push(key, expiresAt)
      if (expiries.size > max) evict(now, key)
      // Stale heap entries must not grow without bound either.
      if (heap.size > 2 * max + 16) heap.rebuild(expiries)
      return Promise.resolve(true)
    },
    forget(key) {
      expiries.delete(key)
      return Promise.resolve()
    },
    close() {
      clearInterval(timer)
      expiries.clear()
      heap.rebuild(expiries)
      return Promise.resolve()
    },
  }
}

/** A binary min-heap of (expiresAt, key). */
class ExpiryHeap {
  private items: { key: string; expiresAt: number }[] = []

  get size(): number {
    return this.items.length
  }

  peek(): number | undefined {
    return this.items[0]?.expiresAt
  }

  push(key: string, expiresAt: number): void {
    const items = this.items
    items.push({ key, expiresAt })
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (items[parent]!.expiresAt <= items[i]!.expiresAt) break
      ;[items[parent], items[i]] = [items[i]!, items[parent]!]
      i = parent
    }
  }

  pop(): { key: string; expiresAt: number } | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (top === undefined || last === undefined || items.length === 0) return top
    items[0] = last
    let i = 0
    for (;;) {
      const left = 2 * i + 1
      const right = left + 1
      let smallest = i
      if (left < items.length && items[left]!.expiresAt < items[smallest]!.expiresAt)
        smallest = left
      if (right < items.length && items[right]!.expiresAt < items[smallest]!.expiresAt)
        smallest = right
      if (smallest === i) return top
      ;[items[smallest], items[i]] = [items[i]!, items[smallest]!]
      i = smallest
    }
  }

  rebuild(live: ReadonlyMap<string, number>): void {
    this.items = []
    for (const [key, expiresAt] of live) this.push(key, expiresAt)
  }
}
