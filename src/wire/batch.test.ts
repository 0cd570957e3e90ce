import { describe, expect, it } from 'vitest'
import { Batch } from './batch.js'
import { encodeFrame } from './codec.js'
import { FrameType } from './frame.js'
import { encodeCredit } from './payloads.js'
import { SlabPool } from './slabs.js'

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

  it('writes headers and credits in place, byte for byte as encodeFrame does', () => {
    const batch = new Batch()
    batch.header(FrameType.DATA, 0xfffffffe, 3)
    batch.append(Buffer.from('abc'))
    batch.header(FrameType.CREDIT, 7, 4)
    batch.uint32(262_144)
    const expected = Buffer.concat([
      encodeFrame({ type: FrameType.DATA, circuit: 0xfffffffe, payload: Buffer.from('abc') }),
      encodeFrame({ type: FrameType.CREDIT, circuit: 7, payload: encodeCredit(262_144) }),
    ])
    expect(batch.take()!.equals(expected)).toBe(true)
  })

  it('with a pool, writes the next batch into the slab of a released one, and never into one still out', () => {
    const pool = new SlabPool()
    const batch = new Batch(pool)
    batch.append(Buffer.alloc(10_000, 1))
    const first = batch.take()!
    batch.append(Buffer.alloc(10_000, 2))
    const second = batch.take()!
    expect(second.buffer).not.toBe(first.buffer) // the first is still out
    expect(first.every((b) => b === 1)).toBe(true)
    batch.release(first)
    batch.append(Buffer.alloc(10_000, 3))
    const third = batch.take()!
    expect(third.buffer).toBe(first.buffer)
    expect(second.every((b) => b === 2)).toBe(true)
  })

  it('with a pool, gives back the smaller slab when a batch outgrows it', () => {
    const pool = new SlabPool()
    const batch = new Batch(pool)
    batch.append(Buffer.alloc(1000, 1))
    batch.append(Buffer.alloc(40_000, 2)) // past 16 KiB: moves to a 64 KiB slab
    expect(pool.idleBytes).toBe(16 * 1024)
    const out = batch.take()!
    expect(out.length).toBe(41_000)
    expect(out.buffer.byteLength).toBe(64 * 1024)
    expect(out.subarray(0, 1000).every((b) => b === 1)).toBe(true)
    expect(out.subarray(1000).every((b) => b === 2)).toBe(true)
  })
})
