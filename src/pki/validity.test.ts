import { describe, expect, it } from 'vitest'
import { CLOCK_SKEW_MS, renewalDue, validityWindow } from './validity.js'

describe('validityWindow', () => {
  const now = new Date('2030-06-01T00:00:00Z')

  it('starts a minute early and lasts the given days', () => {
    const { notBefore, notAfter } = validityWindow(now, 30)
    expect(notBefore.getTime()).toBe(now.getTime() - CLOCK_SKEW_MS)
    expect(CLOCK_SKEW_MS).toBe(60_000)
    expect(notAfter.getTime()).toBe(now.getTime() + 30 * 86_400_000)
    expect(validityWindow(now, 0.5).notAfter.getTime()).toBe(now.getTime() + 43_200_000)
  })

  it.each([0, -1, NaN, Infinity, 36_501])('refuses %s days with ZH_CONFIG_INVALID', (days) => {
    expect(() => validityWindow(now, days)).toThrow(
      expect.objectContaining({ code: 'ZH_CONFIG_INVALID' }),
    )
  })

  it('backdates a lifetime of seconds by a quarter of it at most', () => {
    const { notBefore, notAfter } = validityWindow(now, 20 / 86_400)
    expect(notAfter.getTime() - now.getTime()).toBe(20_000)
    expect(now.getTime() - notBefore.getTime()).toBe(5_000)
  })

  it('puts renewal two thirds into the validity', () => {
    expect(renewalDue(1_000, 4_000)).toBe(3_000)
  })

  it('refuses an invalid date', () => {
    expect(() => validityWindow(new Date('nope'), 1)).toThrow(
      expect.objectContaining({ code: 'ZH_CONFIG_INVALID' }),
    )
  })
})
