import type { ControllerContext } from './context.js'
import { pruneCertificates } from './model/certificates.js'
import { pruneEnrollments } from './model/enrollments.js'

/** Pruning runs at least this often, ms, and more often for a short retention. */
const MAX_INTERVAL_MS = 3600_000
const MIN_INTERVAL_MS = 1_000

/** Prunes once: expired certificates' records and spent enrollment tokens past the retention. */
export async function pruneRecords(
  ctx: ControllerContext,
  now = Date.now(),
): Promise<{ certificates: number; enrollments: number; changes: number }> {
  const cutoff = now - ctx.settings.recordRetention * 1000
  return ctx.db.transaction(async (tx) => ({
    certificates: await pruneCertificates(tx, cutoff),
    enrollments: await pruneEnrollments(tx, cutoff, now),
    // A router that reconnects asks for the changes it missed: kept as long as other records.
    changes: await tx.run('DELETE FROM changes WHERE at < ?', [cutoff]),
  }))
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
  const run = async () => {
    try {
      const pruned = await pruneRecords(ctx)
      if (pruned.certificates + pruned.enrollments + pruned.changes > 0)
        ctx.log.info(pruned, 'records pruned')
    } catch (err) {
      ctx.log.warn({ err: (err as Error).message }, 'pruning failed; retrying at the next round')
    }
  }
  void run()
  const timer = setInterval(() => void run(), interval)
  timer.unref()
  return () => clearInterval(timer)
}
