import { describe, expect, it } from 'vitest'
import { compareStrings, sortedUnique } from './order.js'

describe('order', () => {
  it('sorts by code unit, upper case before lower case, independent of locale', () => {
    expect(['b', 'B', 'a', 'A', '_', '-', '9'].sort(compareStrings)).toEqual([
      '-',
      '9',
      'A',
      'B',
      '_',
      'a',
      'b',
    ])
  })

  it('deduplicates', () => {
    expect(sortedUnique(['ci', 'build', 'ci', 'build'])).toEqual(['build', 'ci'])
    expect(sortedUnique([])).toEqual([])
  })
})
