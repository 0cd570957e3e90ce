import { once } from 'node:events'
import { describe, expect, it } from 'vitest'
import { createMemoryPair } from './memory-pair.js'

describe('memory pair', () => {
  it('carries bytes both ways and captures them per direction', async () => {
    const { a, b, captured } = createMemoryPair({ capture: true })
    const got = once(b, 'data')
    a.write('ping')
    expect(String((await got)[0])).toBe('ping')
    b.write('pong')
    expect(String((await once(a, 'data'))[0])).toBe('pong')
    expect(captured.aToB.map(String)).toEqual(['ping'])
    expect(captured.bToA.map(String)).toEqual(['pong'])
  })

  it('applies backpressure until the other end reads', async () => {
    const { a, b } = createMemoryPair({ highWaterMark: 1024 })
    let flushed = 0
    for (let i = 0; i < 8; i++) a.write(Buffer.alloc(1024), () => flushed++)
    await new Promise((r) => setImmediate(r))
    expect(flushed).toBeLessThan(8)
    expect(a.writableNeedDrain).toBe(true)
    b.resume()
    await once(a, 'drain')
    expect(flushed).toBe(8)
  })

  it('ends like a socket, and a destroyed end breaks the pipe', async () => {
    const { a, b } = createMemoryPair()
    b.resume()
    a.end()
    await once(b, 'end')
    const { a: c, b: d } = createMemoryPair()
    d.resume()
    c.destroy()
    await once(d, 'end')
    const err = await new Promise((resolve) => d.write('x', resolve))
    expect(err).toBeInstanceOf(Error)
  })
})
