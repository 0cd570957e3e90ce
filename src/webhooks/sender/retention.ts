import type { OutboxStore, SenderClock, SenderLog } from './types.js'

/** How often settled messages past their retention are deleted. */
export const PURGE_INTERVAL_MS = 3600_000

/**
 * Keeps the outbox from growing without end: every hour (and once at start), deletes messages
 * that were delivered, failed or disabled more than `retainMs` ago, with their attempt logs.
 * Pending and in-flight messages are never touched. Returns a function that stops it.
 */
export function scheduleRetention(
  store: OutboxStore,
  retainMs: number,
  clock: SenderClock,
  log: SenderLog | undefined,
): () => void {
  let cancel: (() => void) | undefined
  let stopped = false
  const run = async () => {
    try {
      const purged = await store.purge(clock.now() - retainMs)
      if (purged > 0) log?.info({ purged, retainMs }, 'outbox: settled messages purged')
    } catch (err) {
      log?.warn({ err: (err as Error).message }, 'outbox purge failed; retrying in an hour')
    }
    if (!stopped) cancel = clock.setTimer(() => void run(), PURGE_INTERVAL_MS)
  }
  cancel = clock.setTimer(() => void run(), 0)
  return () => {
    stopped = true
    cancel?.()
  }
}
