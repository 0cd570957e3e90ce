import { afterEach, describe, expect, it, vi } from 'vitest'
import { createMemoryReplayStore } from './memory.js'

describe('memory replay store', () => {
  afterEach(() => {
    vi.useRealTimers()
    vi.restoreAllMocks()
  })

  it('says new once, then repeat until expiry', async () => {
    const store = createMemoryReplayStore()
    expect(await store.checkAndRemember('k', 110, 100)).toBe(true)
    expect(await store.checkAndRemember('k', 120, 105)).toBe(false)
    expect(await store.checkAndRemember('k', 120, 110)).toBe(true)
  })

  it('evicts expired entries first', async () => {
    const store = createMemoryReplayStore({ maxEntries: 2 })
    await store.checkAndRemember('a', 5, 0)
    await store.checkAndRemember('b', 100, 0)
    expect(await store.checkAndRemember('c', 200, 10)).toBe(true)
    expect(await store.checkAndRemember('b', 100, 10)).toBe(false)
    expect(await store.checkAndRemember('c', 200, 10)).toBe(false)
  })

  it('when full of live ids, evicts the one expiring soonest, never the one just added', async () => {
    const store = createMemoryReplayStore({ maxEntries: 2 })
    await store.checkAndRemember('a', 100, 0)
    await store.checkAndRemember('b', 200, 0)
    expect(await store.checkAndRemember('c', 50, 1)).toBe(true)
    expect(await store.checkAndRemember('c', 50, 2)).toBe(false)
    expect(await store.checkAndRemember('b', 200, 2)).toBe(false)
    expect(await store.checkAndRemember('a', 100, 2)).toBe(true)
  })

  it('stays bounded under many distinct keys', async () => {
    const store = createMemoryReplayStore({ maxEntries: 100 })
    for (let i = 0; i < 10_000; i++)
      expect(await store.checkAndRemember(`k${i}`, 10_000 + i, 0)).toBe(true)
    expect(await store.checkAndRemember('k9999', 20_000, 0)).toBe(false)
    expect(await store.checkAndRemember('k0', 20_000, 0)).toBe(true)
  })

  it('forgets on request and refuses a bad size', async () => {
    const store = createMemoryReplayStore()
    await store.checkAndRemember('k', 100, 0)
    await store.forget('k')
    expect(await store.checkAndRemember('k', 100, 0)).toBe(true)
    expect(() => createMemoryReplayStore({ maxEntries: 0 })).toThrow(
      expect.objectContaining({ code: 'ZH_WEBHOOK_OPTIONS_INVALID' }),
    )
  })

  it('drops expired ids on a timer, so a store that goes quiet frees them', async () => {
    vi.useFakeTimers({ now: 1_000_000_000 }) // Unix second 1,000,000
    const store = createMemoryReplayStore({ purgeIntervalMs: 60_000 })
    // Recorded under a verifier clock at second 50, so only the timer (on the wall clock) can
    // drop `old` before that clock reaches its expiry.
    await store.checkAndRemember('old', 100, 50)
    await store.checkAndRemember('live', 1_000_300, 50)
    vi.advanceTimersByTime(59_999)
    expect(await store.checkAndRemember('old', 100, 50)).toBe(false)
    vi.advanceTimersByTime(1)
    expect(await store.checkAndRemember('live', 1_000_300, 50)).toBe(false)
    expect(await store.checkAndRemember('old', 100, 50)).toBe(true)
    expect(vi.getTimerCount()).toBe(1)
    await store.close()
    expect(vi.getTimerCount()).toBe(0)
  })

  it('never keeps the process alive with its timer, and refuses a bad interval', async () => {
    const spy = vi.spyOn(globalThis, 'setInterval')
    const store = createMemoryReplayStore()
    const timer = spy.mock.results[0]?.value as NodeJS.Timeout
    expect(timer.hasRef()).toBe(false)
    await store.close()
    for (const purgeIntervalMs of [0, -1, 1.5]) {
      expect(() => createMemoryReplayStore({ purgeIntervalMs })).toThrow(
        expect.objectContaining({ code: 'ZH_WEBHOOK_OPTIONS_INVALID' }),
      )
    }
  })
})
