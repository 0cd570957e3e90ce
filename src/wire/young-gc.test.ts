import { constants, PerformanceObserver } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { relayedBytes, startScavengePacing } from './young-gc.js'

/** Counts the scavenges V8 reports while `fn` runs. */
async function scavengesDuring(fn: () => void): Promise<number> {
  let n = 0
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      // Node 20's types predate PerformanceEntry.detail, which a 'gc' entry has.
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) n++
    }
  })
  observer.observe({ entryTypes: ['gc'] })
  fn()
  await new Promise((r) => setTimeout(r, 50))
  observer.disconnect()
  return n
}

describe('scavenge pacing', () => {
  it('scavenges once per pace of relayed bytes, and not in between', async () => {
    expect(startScavengePacing(1024 * 1024)).toBe(true)
    const chunk = 16 * 1024
    // 10 MiB relayed: ten scavenges of its own (V8 may add one, nothing here allocates much).
    const paced = await scavengesDuring(() => {
      for (let i = 0; i < 640; i++) relayedBytes(chunk)
    })
    expect(paced).toBeGreaterThanOrEqual(10)
    expect(paced).toBeLessThanOrEqual(11)
    const below = await scavengesDuring(() => {
      for (let i = 0; i < 60; i++) relayedBytes(chunk) // under 1 MiB
    })
    expect(below).toBeLessThanOrEqual(1)
  })
})
