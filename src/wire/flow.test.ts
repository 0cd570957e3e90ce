import { describe, expect, it } from 'vitest'
import { ReceiveWindow } from './flow.js'

describe('ReceiveWindow', () => {
  it('refuses data beyond the grant', () => {
    const w = new ReceiveWindow(1000)
    expect(w.receive(1000)).toBe(true)
    expect(w.receive(1)).toBe(false)
  })

  it('credits back only what was consumed, in batches of half a window', () => {
    const w = new ReceiveWindow(1000)
    w.receive(1000)
    expect(w.consumed(499)).toBe(0)
    expect(w.consumed(499)).toBe(0) // same total: nothing new
    expect(w.consumed(500)).toBe(500)
    expect(w.allowance).toBe(500)
    expect(w.consumed(1000)).toBe(500)
    expect(w.allowance).toBe(1000)
  })

  it('never lets the peer have more than one window outstanding', () => {
    const w = new ReceiveWindow(4096)
    let held = 0
    let consumedTotal = 0
    for (let i = 0; i < 10_000; i++) {
      const n = Math.min(w.allowance, 1 + (i % 700))
      if (n > 0 && w.receive(n)) held += n
      const eat = Math.min(held, (i * 7) % 900)
      held -= eat
      consumedTotal += eat
      w.consumed(consumedTotal)
      expect(w.allowance + held).toBeLessThanOrEqual(4096)
    }
  })
})
