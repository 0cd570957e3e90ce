import { describe, expect, it } from 'vitest'
import { randomSerial } from './serial.js'

describe('randomSerial', () => {
  const serials = Array.from({ length: 2000 }, randomSerial)

  it('is 16 octets, positive and minimally encoded', () => {
    for (const s of serials) {
      expect(s).toMatch(/^[0-9a-f]{32}$/)
      const first = parseInt(s.slice(0, 2), 16)
      expect(first).toBeGreaterThan(0)
      expect(first).toBeLessThan(0x80)
    }
  })

  it('never repeats', () => {
    expect(new Set(serials).size).toBe(serials.length)
  })

  it('varies in every bit below the sign bit (127 random bits)', () => {
    const values = serials.map((s) => BigInt(`0x${s}`))
    for (let bit = 0n; bit < 127n; bit++) {
      const ones = values.filter((v) => (v >> bit) & 1n).length
      // Binomial(2000, 1/2): outside [800, 1200] has probability < 1e-18 per bit.
      expect(ones, `bit ${bit}`).toBeGreaterThan(800)
      expect(ones, `bit ${bit}`).toBeLessThan(1200)
    }
    expect(values.every((v) => v >> 127n === 0n)).toBe(true)
  })
})
