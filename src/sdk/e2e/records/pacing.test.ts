import { Duplex } from 'node:stream'
import { constants, PerformanceObserver } from 'node:perf_hooks'
import { afterAll, describe, expect, it } from 'vitest'
import { startScavengePacing, stopScavengePacing } from '../../../wire/young-gc.js'
import { recordKeys } from './keys.js'
import { E2eSocket } from './socket.js'

/** A circuit that takes every write at once and never sends anything. */
function sinkCircuit(): Duplex {
  return new Duplex({ read() {}, write: (_chunk, _enc, cb) => cb() })
}

describe('the record socket and scavenge pacing', () => {
  afterAll(() => stopScavengePacing())

  it('counts what it seals: a scavenge per pace of records written', async () => {
    expect(startScavengePacing(1024 * 1024)).toBe(true)
    const keys = recordKeys(Buffer.alloc(64, 7), 'dialer')
    const peer = { identityId: 'id', fingerprint: 'f', grant: {} } as never
    const socket = new E2eSocket(sinkCircuit(), keys, peer, Buffer.alloc(0))
    let scavenges = 0
    const observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind
        if (kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++
      }
    })
    observer.observe({ entryTypes: ['gc'] })
    const chunk = Buffer.alloc(64 * 1024, 1)
    // 8 MiB of records: eight scavenges of their own.
    for (let i = 0; i < 128; i++) {
      await new Promise<void>((resolve, reject) =>
        socket.write(chunk, (e) => (e ? reject(e) : resolve())),
      )
    }
    await new Promise((r) => setTimeout(r, 50))
    observer.disconnect()
    socket.destroy()
    expect(scavenges).toBeGreaterThanOrEqual(8)
  })
})
