import { describe, expect, it } from 'vitest'
import { RelayQueue } from './relay-queue.js'

describe('RelayQueue', () => {
  it('hands out the bytes in order, at most `max` at a time, without crossing chunks', () => {
    const q = new RelayQueue()
    expect(q.take(10)).toBeUndefined()
    q.push(Buffer.from('hello'))
    q.push(Buffer.from('world!'))
    expect(q.bytes).toBe(11)
    const out = [q.take(3), q.take(100), q.take(0), q.take(4), q.take(4)]
    expect(out.map((b) => b?.toString())).toEqual(['hel', 'lo', undefined, 'worl', 'd!'])
    expect(q.bytes).toBe(0)
    expect(q.take(1)).toBeUndefined()
  })

  it('forgets everything on clear()', () => {
    const q = new RelayQueue()
    q.push(Buffer.alloc(100))
    q.take(10)
    q.clear()
    expect(q.bytes).toBe(0)
    expect(q.take(100)).toBeUndefined()
  })

  it('settle() copies a small piece that waits instead of pinning the large chunk it came in', () => {
    const chunk = Buffer.alloc(16 * 1024, 5)
    const q = new RelayQueue()
    q.push(chunk.subarray(0, 10_000)) // most of its chunk: stays a view
    q.push(chunk.subarray(10_000, 10_100)) // 100 bytes of 16 KiB: copied
    q.settle()
    const first = q.take(20_000)!
    const second = q.take(20_000)!
    expect(first.buffer).toBe(chunk.buffer)
    expect(second.buffer).not.toBe(chunk.buffer)
    expect(second.equals(Buffer.alloc(100, 5))).toBe(true)
  })

  it('settle() copies only what is left of a partly taken piece', () => {
    const chunk = Buffer.alloc(16 * 1024)
    chunk.write('0123456789', 8000)
    const q = new RelayQueue()
    q.push(chunk.subarray(0, 8010))
    expect(q.take(8000)!.length).toBe(8000)
    q.settle() // 10 bytes left of a 16 KiB chunk
    const rest = q.take(100)!
    expect(rest.toString()).toBe('0123456789')
    expect(rest.buffer).not.toBe(chunk.buffer)
    q.push(chunk.subarray(0, 9000)) // more than half: stays a view
    q.settle()
    expect(q.take(10_000)!.buffer).toBe(chunk.buffer)
  })
})
