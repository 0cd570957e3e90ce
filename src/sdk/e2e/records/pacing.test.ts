import { Duplex } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { scavengesDuring } from '../../../wire/gc.test-util.js'
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
    const chunk = Buffer.alloc(64 * 1024, 1)
    // 8 MiB of records: eight scavenges of their own.
    const scavenges = await scavengesDuring(async () => {
      for (let i = 0; i < 128; i++) {
        await new Promise<void>((resolve, reject) =>
          socket.write(chunk, (e) => (e ? reject(e) : resolve())),
        )
      }
    })
    socket.destroy()
    expect(scavenges).toBeGreaterThanOrEqual(8)
  })
})
