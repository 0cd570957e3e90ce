import { getHeapSpaceStatistics } from 'node:v8'
import { describe, expect, it } from 'vitest'
import { reserveGcHeadroom } from './gc-headroom.js'

/** Bytes in V8's large-object space, where one big array lands (garbage elsewhere is ignored). */
function largeObjects(): number {
  return getHeapSpaceStatistics().find((s) => s.space_name === 'large_object_space')!
    .space_used_size
}

describe('reserveGcHeadroom', () => {
  it('holds the live heap it promises, once', () => {
    const before = largeObjects()
    reserveGcHeadroom(8)
    const after = largeObjects()
    expect(after - before).toBeGreaterThanOrEqual(8 * 1024 * 1024)
    reserveGcHeadroom(8) // a second call holds nothing more
    expect(largeObjects() - after).toBeLessThan(1024 * 1024)
  })
})
