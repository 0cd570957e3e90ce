import { describe, expect, it } from 'vitest'
import { scavengesDuring } from './gc.test-util.js'
import { relayedBytes, startScavengePacing } from './young-gc.js'

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
