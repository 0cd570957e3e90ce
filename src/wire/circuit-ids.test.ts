import { describe, expect, it } from 'vitest'
import { CircuitIds } from './circuit-ids.js'

describe('CircuitIds', () => {
  it('gives the initiator odd ids and the acceptor even ones', () => {
    const ini = new CircuitIds('initiator')
    const acc = new CircuitIds('acceptor')
    expect([ini.allocate(), ini.allocate(), acc.allocate(), acc.allocate()]).toEqual([1, 3, 2, 4])
  })

  it('accepts only increasing peer ids of the peer parity', () => {
    const acc = new CircuitIds('acceptor')
    const protocol: unknown = expect.objectContaining({ code: 'ZH_WIRE_PROTOCOL' })
    acc.acceptPeer(1)
    acc.acceptPeer(7) // gaps are fine
    expect(() => acc.acceptPeer(7)).toThrow(protocol)
    expect(() => acc.acceptPeer(5)).toThrow(protocol)
    expect(() => acc.acceptPeer(8)).toThrow(protocol)
  })

  it('knows which ids were ever used', () => {
    const ini = new CircuitIds('initiator')
    ini.allocate()
    ini.acceptPeer(4)
    expect([1, 3, 2, 4, 6].map((id) => ini.wasUsed(id))).toEqual([true, false, true, true, false])
  })
})
