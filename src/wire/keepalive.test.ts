import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { startKeepalive } from './keepalive.js'

describe('keepalive', () => {
  beforeEach(() => vi.useFakeTimers())
  afterEach(() => vi.useRealTimers())

  function run() {
    const log: string[] = []
    let received = 0
    const stop = startKeepalive({
      intervalMs: 1000,
      timeoutMs: 3000,
      received: () => received,
      ping: () => log.push('ping'),
      timedOut: () => log.push('timeout'),
    })
    return { log, stop, receive: () => received++ }
  }

  it('pings when idle and times out when nothing answers', () => {
    const { log, stop } = run()
    vi.advanceTimersByTime(999)
    expect(log).toEqual([])
    vi.advanceTimersByTime(600)
    expect(log).toEqual(['ping'])
    vi.advanceTimersByTime(2000)
    expect(log).toEqual(['ping'])
    vi.advanceTimersByTime(1500)
    expect(log).toEqual(['ping', 'timeout'])
    vi.advanceTimersByTime(10_000)
    expect(log).toEqual(['ping', 'timeout']) // once, then it stops by itself
    stop()
  })

  it('any frame received counts as an answer', () => {
    const { log, stop, receive } = run()
    for (let i = 0; i < 20; i++) {
      vi.advanceTimersByTime(1000)
      receive()
    }
    expect(log.filter((l) => l === 'timeout')).toEqual([])
    stop()
  })

  it('is off with an interval of 0', () => {
    const log: string[] = []
    startKeepalive({
      intervalMs: 0,
      timeoutMs: 1,
      received: () => 0,
      ping: () => log.push('p'),
      timedOut: () => log.push('t'),
    })
    vi.advanceTimersByTime(10_000)
    expect(log).toEqual([])
  })
})
