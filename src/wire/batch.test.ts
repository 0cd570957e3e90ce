import { describe, expect, it } from 'vitest'
import { Batch } from './batch.js'

describe('Batch', () => {
  it('keeps what was appended, in order, across growth, and starts over after take()', () => {
    const batch = new Batch()
    expect(batch.take()).toBeUndefined()
    const parts = [1, 20_000, 5, 70_000, 300].map((n, i) => Buffer.alloc(n, i + 1))
    for (const p of parts) batch.append(p)
    expect(batch.length).toBe(90_306)
    const first = batch.take()!
    expect(first.equals(Buffer.concat(parts))).toBe(true)
    expect(batch.length).toBe(0)
    batch.append(Buffer.from('next'))
    expect(batch.take()!.toString()).toBe('next')
    // The first batch is the caller's now: later appends never write into it.
    expect(first.equals(Buffer.concat(parts))).toBe(true)
  })

  it('copies: changing an appended buffer afterwards changes nothing', () => {
    const batch = new Batch()
    const b = Buffer.from('abc')
    batch.append(b)
    b.fill(0)
    expect(batch.take()!.toString()).toBe('abc')
  })
})
