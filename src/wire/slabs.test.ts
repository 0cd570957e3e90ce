import { describe, expect, it } from 'vitest'
import { MAX_SLAB, MIN_SLAB, SlabPool } from './slabs.js'

describe('SlabPool', () => {
  it('hands out whole slabs of the next power of two, from 16 KiB', () => {
    const pool = new SlabPool()
    expect(pool.take(1).length).toBe(MIN_SLAB)
    expect(pool.take(MIN_SLAB + 1).length).toBe(2 * MIN_SLAB)
    expect(pool.take(300_000).length).toBe(MAX_SLAB)
    const slab = pool.take(5000)
    expect(slab.byteOffset).toBe(0)
    expect(slab.buffer.byteLength).toBe(slab.length)
  })

  it('reuses a slab given back instead of allocating', () => {
    const pool = new SlabPool()
    const first = pool.take(40_000)
    pool.give(first.buffer as ArrayBuffer)
    expect(pool.idleBytes).toBe(64 * 1024)
    expect(pool.take(50_000).buffer).toBe(first.buffer)
    expect(pool.idleBytes).toBe(0)
    expect(pool.take(50_000).buffer).not.toBe(first.buffer)
  })

  it('keeps about 1 MiB idle per size (at least four slabs), and nothing it did not hand out', () => {
    const pool = new SlabPool()
    const small = Array.from({ length: 100 }, () => pool.take(MIN_SLAB))
    for (const s of small) pool.give(s.buffer as ArrayBuffer)
    expect(pool.idleBytes).toBe(1024 * 1024)
    const big = Array.from({ length: 5 }, () => pool.take(MAX_SLAB))
    for (const s of big) pool.give(s.buffer as ArrayBuffer)
    expect(pool.idleBytes).toBe(1024 * 1024 + 4 * MAX_SLAB)
    pool.give(new ArrayBuffer(20_000)) // not a slab size
    pool.give(pool.take(2 * MAX_SLAB).buffer as ArrayBuffer) // a one-off
    expect(pool.idleBytes).toBe(1024 * 1024 + 4 * MAX_SLAB)
  })
})
