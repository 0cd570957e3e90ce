import { describe, expect, it } from 'vitest'
import { createMemoryReplayStore } from './memory.js'

describe('memory replay store', () => {
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
})
