import { describe, expect, it } from 'vitest'
import { numberedPlaceholders } from './placeholders.js'

describe('numberedPlaceholders', () => {
  it('numbers every placeholder in order', () => {
    expect(numberedPlaceholders('SELECT * FROM t WHERE a = ? AND b IN (?, ?)')).toBe(
      'SELECT * FROM t WHERE a = $1 AND b IN ($2, $3)',
    )
  })

  it('leaves question marks inside literals and quoted names alone', () => {
    expect(numberedPlaceholders(`SELECT '?', "a?b" FROM t WHERE c = ?`)).toBe(
      `SELECT '?', "a?b" FROM t WHERE c = $1`,
    )
  })
})
