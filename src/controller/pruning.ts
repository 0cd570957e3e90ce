import type { ControllerContext } from './context.js'
import { pruneCertificates } from './model/certificates.js'
import { pruneEnrollments } from './model/enrollments.js'

/** Pruning runs at least this often, ms, and more often for a short retention. */
const MAX_INTERVAL_MS = 3600_000
const MIN_INTERVAL_MS = 1_000

/** Prunes once: expired certificates' records and spent enrollment tokens past the retention. */
export function pruneRecords(
  ctx: ControllerContext,
  now = Date.now(),
): { certificates: number; enrollments: number } {
  const cutoff = now - ctx.settings.recordRetention * 1000
  return ctx.db.transaction(() => ({
    certificates: pruneCertificates(ctx.db, cutoff),
    enrollments: pruneEnrollments(ctx.db, cutoff, now),
  }))()
}

/**
 * Keeps the store from growing with time (DESIGN §9): prunes at start, then every hour (or a
 * quarter of the retention, when that is shorter). Returns a function that stops it.
 */
export function schedulePruning(ctx: ControllerContext): () => void {
  const interval = Math.min(
    MAX_INTERVAL_MS,
    Math.max(MIN_INTERVAL_MS, (ctx.settings.recordRetention * 1000) / 4),
  )
  const run = () => {
    try {
      const pruned = pruneRecords(ctx)
      if (pruned.certificates + pruned.enrollments > 0) ctx.log.info(pruned, 'records pruned')
    } catch (err) {
      ctx.log.warn({ err: (err as Error).message }, 'pruning failed; retrying at the next round')
    }
  }
  run()
  const timer = setInterval(run, interval)
  timer.unref()
  return () => clearInterval(timer)
}
