import { constants, PerformanceObserver } from 'node:perf_hooks'

/** Counts the scavenges V8 reports while `fn` runs (and 50 ms after, for the last reports). */
export async function scavengesDuring(fn: () => unknown): Promise<number> {
  let n = 0
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      // Node 20's types predate PerformanceEntry.detail, which a 'gc' entry has.
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) n++
    }
  })
  observer.observe({ entryTypes: ['gc'] })
  try {
    await fn()
    await new Promise((r) => setTimeout(r, 50))
  } finally {
    observer.disconnect()
  }
  return n
}
