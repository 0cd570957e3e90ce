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
})
