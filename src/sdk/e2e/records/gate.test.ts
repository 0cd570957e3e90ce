import { describe, expect, it } from 'vitest'
import { createMemoryPair } from '../../../wire/memory-pair.js'
import { TlsGate } from './gate.js'

const tick = () => new Promise((resolve) => setImmediate(resolve))

/** A TLS record of `type` with `body`. */
function tlsRecord(type: number, body: Buffer): Buffer {
  const header = Buffer.from([type, 3, 3, 0, 0])
  header.writeUInt16BE(body.length, 3)
  return Buffer.concat([header, body])
}

/** What the TLS side of the gate has read so far. */
function tlsSide(gate: TlsGate) {
  const read: Buffer[] = []
  gate.on('data', (c: Buffer) => read.push(c))
  return () => Buffer.concat(read)
}

describe('TLS gate', () => {
  it('passes TLS records however cut, and holds what follows them once secured', async () => {
    const { a: peer, b: circuit } = createMemoryPair()
    const gate = new TlsGate(circuit)
    gate.secured()
    const read = tlsSide(gate)
    const handshake = tlsRecord(22, Buffer.alloc(300, 1))
    const data = tlsRecord(23, Buffer.alloc(40, 2))
    const ours = Buffer.from([0x81, 0, 20, ...Buffer.alloc(20, 3)])
    const stream = Buffer.concat([handshake, data, ours])
    // Cut inside a TLS header, inside a body, and right at the start of our records.
    for (const [from, to] of [
      [0, 3],
      [3, 200],
      [200, handshake.length + 2],
      [handshake.length + 2, stream.length - 10],
    ] as const) {
      peer.write(stream.subarray(from, to))
      await tick()
    }
    peer.write(stream.subarray(stream.length - 10))
    peer.write(Buffer.from('after'))
    await tick()
    expect(read().equals(Buffer.concat([handshake, data]))).toBe(true)
    expect(circuit.isPaused()).toBe(true)
    // The held bytes are the rest of the chunk that began our records; later ones wait unread.
    const held = gate.handOver()
    expect(held.equals(ours.subarray(0, ours.length - 10))).toBe(true)
    circuit.resume()
    const later: Buffer[] = []
    circuit.on('data', (c: Buffer) => later.push(c))
    await tick()
    expect(
      Buffer.concat(later).equals(Buffer.concat([ours.subarray(-10), Buffer.from('after')])),
    ).toBe(true)
    expect(read().length).toBe(handshake.length + data.length)
  })

  it('gives TLS anything that is not TLS before the handshake is done (it fails there)', async () => {
    const { a: peer, b: circuit } = createMemoryPair()
    const read = tlsSide(new TlsGate(circuit))
    peer.write('GET / HTTP/1.1\r\n\r\n')
    await tick()
    expect(read().toString()).toBe('GET / HTTP/1.1\r\n\r\n')
  })

  it('refuses a TLS record longer than TLS allows', async () => {
    const { a: peer, b: circuit } = createMemoryPair()
    const gate = new TlsGate(circuit)
    const failed = new Promise((resolve) => gate.once('error', resolve))
    peer.write(Buffer.from([23, 3, 3, 0x48, 0x01]))
    expect(await failed).toMatchObject({ code: 'ZH_E2E_PROTOCOL' })
    expect(circuit.destroyed).toBe(false)
  })

  it('lets nothing the TLS socket writes after the hand-over reach the circuit', async () => {
    const { a: peer, b: circuit } = createMemoryPair()
    const gate = new TlsGate(circuit)
    const seen: Buffer[] = []
    peer.on('data', (c: Buffer) => seen.push(c))
    gate.write('handshake')
    await tick()
    gate.handOver()
    gate.write('close_notify')
    gate.end()
    gate.destroy()
    await tick()
    expect(Buffer.concat(seen).toString()).toBe('handshake')
    expect(circuit.writableEnded || circuit.destroyed).toBe(false)
  })

  it('passes the circuit’s end and its errors to TLS during the handshake', async () => {
    const ended = createMemoryPair()
    const gate = new TlsGate(ended.b)
    const end = new Promise((resolve) => gate.once('end', resolve))
    gate.resume()
    ended.a.end()
    await end
    const reset = createMemoryPair()
    const other = new TlsGate(reset.b)
    const error = new Promise((resolve) => other.once('error', resolve))
    reset.b.destroy(Object.assign(new Error('reset'), { code: 'ZH_ROUTER_PERMISSION_REVOKED' }))
    expect(await error).toMatchObject({ code: 'ZH_ROUTER_PERMISSION_REVOKED' })
  })
})
