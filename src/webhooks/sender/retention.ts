import type { OutboxStore, SenderClock, SenderLog } from './types.js'

/** Longest wait between two purges of settled messages past their retention. */
export const PURGE_INTERVAL_MS = 3600_000

/**
 * How often to purge for a retention: hourly, or a quarter of a short retention (at least 1 s),
 * so settled messages never stay much longer than `retainMs` and a short retention stays flat.
 *
 * @example
 * ```ts
 * purgeIntervalMs(7 * 86_400_000) // 3_600_000
 * purgeIntervalMs(60_000) // 15_000
 * ```
 */
export function purgeIntervalMs(retainMs: number): number {
  return Math.max(1000, Math.min(PURGE_INTERVAL_MS, Math.floor(retainMs / 4)))
}

/**
 * Keeps the outbox from growing without end: once at start, then every
 * {@link purgeIntervalMs}, deletes messages that were delivered, failed or disabled more than
 * `retainMs` ago, with their attempt logs. Pending and in-flight messages are never touched.
 * Returns a function that stops it.
 */
export function scheduleRetention(
  store: OutboxStore,
  retainMs: number,
  clock: SenderClock,
  log: SenderLog | undefined,
): () => void {
  const every = purgeIntervalMs(retainMs)
  let cancel: (() => void) | undefined
  let stopped = false
  const run = async () => {
    try {
      const purged = await store.purge(clock.now() - retainMs)
      if (purged > 0) log?.info({ purged, retainMs }, 'outbox: settled messages purged')
    } catch (err) {
      log?.warn({ err: (err as Error).message, retryMs: every }, 'outbox purge failed')
    }
    if (!stopped) cancel = clock.setTimer(() => void run(), every)
  }
  cancel = clock.setTimer(() => void run(), 0)
  return () => {
    stopped = true
    cancel?.()
  }
}
