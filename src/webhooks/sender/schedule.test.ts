import { describe, expect, it } from 'vitest'
import { STANDARD_SCHEDULE, checkSchedule, retryAfterMs, withJitter } from './schedule.js'

const NOW = Date.UTC(2025, 0, 1)
const HOUR = 3600_000

describe('retry schedule', () => {
  it('is the Standard Webhooks one by default', () => {
    expect(STANDARD_SCHEDULE).toEqual([
      0,
      5e3,
      300e3,
      1800e3,
      2 * HOUR,
      5 * HOUR,
      10 * HOUR,
      10 * HOUR,
    ])
  })

  it('refuses schedules that are not whole, non-negative delays', () => {
    for (const bad of [[], [-1], [1.5], [Number.NaN], 'x' as never]) {
      expect(() => checkSchedule(bad)).toThrow(
        expect.objectContaining({ code: 'ZH_SENDER_OPTIONS_INVALID' }),
      )
    }
    expect(checkSchedule([0, 200, 500])).toEqual([0, 200, 500])
  })

  it('jitters within ±fraction, never below zero, and leaves 0 at 0', () => {
    expect(withJitter(1000, 0.2, () => 0)).toBe(800)
    expect(withJitter(1000, 0.2, () => 0.5)).toBe(1000)
    expect(withJitter(1000, 0.2, () => 0.9999999)).toBe(1200)
    expect(withJitter(0, 0.2, () => 0.9)).toBe(0)
    for (let i = 0; i < 1000; i++) {
      const d = withJitter(5000, 0.25, Math.random)
      expect(d).toBeGreaterThanOrEqual(3750)
      expect(d).toBeLessThanOrEqual(6250)
    }
  })
})

describe('Retry-After', () => {
  it('reads delta-seconds and HTTP dates, capped, past dates as 0', () => {
    expect(retryAfterMs('120', NOW, HOUR)).toBe(120_000)
    expect(retryAfterMs(' 7 ', NOW, HOUR)).toBe(7000)
    expect(retryAfterMs('999999', NOW, HOUR)).toBe(HOUR)
    expect(retryAfterMs(new Date(NOW + 90_000).toUTCString(), NOW, HOUR)).toBe(90_000)
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', NOW, HOUR)).toBe(0)
    expect(retryAfterMs(['30', '60'], NOW, HOUR)).toBe(30_000)
  })

  it('ignores what it cannot read', () => {
    for (const bad of [undefined, '', '-5', '1.5', '2025-01-01', 'soon', '12abc']) {
      expect(retryAfterMs(bad, NOW, HOUR)).toBeUndefined()
    }
  })
})
