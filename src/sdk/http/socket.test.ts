import net from 'node:net'
import { PassThrough } from 'node:stream'
import { describe, expect, it, vi } from 'vitest'
import { createMemoryPair } from '../../wire/memory-pair.js'
import { SocketShim, asSocket } from './socket.js'

describe('asSocket', () => {
  it('returns a net.Socket as it is', () => {
    const socket = new net.Socket()
    expect(asSocket(socket)).toBe(socket)
  })

  it('wraps any other Duplex, carrying its peer identity and its bytes both ways', async () => {
    const { a, b } = createMemoryPair()
    const peer = { identityId: 'ci-job', fingerprint: 'ab', grant: {} as never }
    const shim = asSocket(Object.assign(a, { peerIdentity: peer }))
    expect(shim).toBeInstanceOf(SocketShim)
    expect(shim.peerIdentity).toBe(peer)
    expect(shim.setKeepAlive(true, 1000)).toBe(shim)
    expect(shim.setNoDelay(true)).toBe(shim)
    expect(shim.ref()).toBe(shim)
    expect(shim.unref()).toBe(shim)
    shim.end('ping')
    b.end('pong')
    const [atB, atShim] = await Promise.all([b.toArray(), shim.toArray()])
    expect(Buffer.concat(atB as Buffer[]).toString()).toBe('ping')
    expect(Buffer.concat(atShim as Buffer[]).toString()).toBe('pong')
  })
})

describe('SocketShim#setTimeout', () => {
  it('fires once after idleness, restarts on activity, and is cleared by 0', () => {
    vi.useFakeTimers()
    try {
      const inner = new PassThrough()
      const shim = new SocketShim(inner)
      const onTimeout = vi.fn()
      shim.setTimeout(1000, onTimeout)
      expect(shim.timeout).toBe(1000)
      vi.advanceTimersByTime(900)
      shim.write('activity')
      vi.advanceTimersByTime(900)
      expect(onTimeout).not.toHaveBeenCalled()
      vi.advanceTimersByTime(200)
      expect(onTimeout).toHaveBeenCalledTimes(1)
      vi.advanceTimersByTime(5000)
      expect(onTimeout).toHaveBeenCalledTimes(1)

      const again = vi.fn()
      shim.setTimeout(1000, again)
      shim.setTimeout(0, again)
      vi.advanceTimersByTime(5000)
      expect(again).not.toHaveBeenCalled()
      shim.destroy()
    } finally {
      vi.useRealTimers()
    }
  })
})
