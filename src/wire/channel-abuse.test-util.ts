import { expect, it } from 'vitest'
import { KiB, until, type ChannelFixture } from './channel-fixture.test-util.js'
import { FrameType, MAX_PAYLOAD } from './frame.js'
import { encodeCredit } from './payloads.js'
import { rawHeader, RawPeer } from './raw-peer.test-util.js'

/**
 * The suite's cases against a peer that misbehaves or goes silent, and the limits: each must end
 * in a clean close of that channel with the right ZH_WIRE_* code, never an exception.
 */
export function abuseCases(fixture: ChannelFixture): void {
  const { channels, againstRaw, acceptAll } = fixture

  it('closes with ZH_WIRE_KEEPALIVE_TIMEOUT when the peer stops answering', async () => {
    const { channel, closed, peer } = await againstRaw({
      keepaliveMs: 20,
      keepaliveTimeoutMs: 60,
    })
    await peer.next(FrameType.PING)
    const started = Date.now()
    expect(await closed).toMatchObject({ code: 'ZH_WIRE_KEEPALIVE_TIMEOUT' })
    expect(Date.now() - started).toBeLessThan(1000)
    expect(channel.closed).toBe(true)
    expect(await peer.goawayCode()).toBe('ZH_WIRE_KEEPALIVE_TIMEOUT')
  })

  const badInput: [string, (peer: RawPeer) => void | Promise<void>, string][] = [
    [
      'garbage',
      (p) => p.sendRaw(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n')),
      'ZH_WIRE_FRAME_TYPE_UNKNOWN',
    ],
    [
      'an oversized length',
      (p) => p.sendRaw(rawHeader(FrameType.DATA, 1, 0xffffffff)),
      'ZH_WIRE_FRAME_TOO_LARGE',
    ],
    [
      'oversized metadata',
      (p) => p.sendRaw(rawHeader(FrameType.OPEN, 2, 16 * KiB + 1)),
      'ZH_WIRE_FRAME_TOO_LARGE',
    ],
    ['an unknown type', (p) => p.sendRaw(rawHeader(0x7f, 0, 0)), 'ZH_WIRE_FRAME_TYPE_UNKNOWN'],
    ['reserved bits', (p) => p.sendRaw(rawHeader(FrameType.PING, 0, 8, 0, 1)), 'ZH_WIRE_PROTOCOL'],
    [
      'a wrong length for the type',
      (p) => p.sendRaw(rawHeader(FrameType.CREDIT, 1, 5)),
      'ZH_WIRE_PROTOCOL',
    ],
    ['a bad parity OPEN', (p) => p.send({ type: FrameType.OPEN, circuit: 1 }), 'ZH_WIRE_PROTOCOL'],
    [
      'a reused circuit id',
      (p) => p.send({ type: FrameType.OPEN, circuit: 2 }, { type: FrameType.OPEN, circuit: 2 }),
      'ZH_WIRE_PROTOCOL',
    ],
    [
      'DATA for a circuit never opened',
      (p) => p.send({ type: FrameType.DATA, circuit: 5, payload: Buffer.from('x') }),
      'ZH_WIRE_PROTOCOL',
    ],
    [
      'a malformed RESET',
      (p) => p.send({ type: FrameType.RESET, circuit: 2, payload: Buffer.from([0, 9, 65]) }),
      'ZH_WIRE_PROTOCOL',
    ],
  ]
  for (const [what, misbehave, code] of badInput) {
    it(`closes the channel with ${code} on ${what}`, async () => {
      const { channel, closed, peer } = await againstRaw()
      channel.on('circuit', (p) => p.accept().on('error', () => {}))
      await misbehave(peer)
      expect(await closed).toMatchObject({ code })
      expect(await peer.goawayCode()).toBe(code)
    })
  }

  it('closes with ZH_WIRE_FLOW_CONTROL on DATA beyond the window, ignoring DATA after a reset', async () => {
    const window = 64 * KiB
    const { channel, closed, peer } = await againstRaw({ window })
    const opened = [channel.open(Buffer.from('1')), channel.open(Buffer.from('3'))]
    expect(encodeCredit(window).equals((await peer.next(FrameType.CREDIT, 3)).payload)).toBe(true)
    peer.send({ type: FrameType.ACCEPT, circuit: 1 }, { type: FrameType.ACCEPT, circuit: 3 })
    const [one, three] = await Promise.all(opened)
    three!.circuit.on('error', () => {})
    one!.circuit.reset('ZH_GRANT_EXPIRED')
    await peer.next(FrameType.RESET, 1)
    // A late DATA on the circuit we just reset is a race, not an attack.
    peer.send({ type: FrameType.DATA, circuit: 1, payload: Buffer.from('late') })
    peer.send({ type: FrameType.PING, circuit: 0, payload: Buffer.alloc(8, 7) })
    await peer.next(FrameType.PONG)
    expect(channel.closed).toBe(false)

    const full = Buffer.alloc(MAX_PAYLOAD)
    for (let sent = 0; sent < window; sent += full.length) {
      peer.send({ type: FrameType.DATA, circuit: 3, payload: full.subarray(0, window - sent) })
    }
    peer.send({ type: FrameType.DATA, circuit: 3, payload: Buffer.from('!') })
    expect(await closed).toMatchObject({ code: 'ZH_WIRE_FLOW_CONTROL' })
  })

  it('enforces maxCircuits with a RESET code, and frees slots as circuits end', async () => {
    const { initiator, acceptor } = await channels({}, { maxCircuits: 3 })
    const accepted = acceptAll(acceptor)
    const open = await Promise.all([1, 2, 3].map(() => initiator.open(Buffer.from('x'))))
    await expect(initiator.open(Buffer.from('x'))).rejects.toMatchObject({
      code: 'ZH_WIRE_TOO_MANY_CIRCUITS',
    })
    open[0]!.circuit.end()
    accepted[0]!.end()
    accepted[0]!.resume()
    open[0]!.circuit.resume()
    await until(() => acceptor.circuits === 2)
    await expect(initiator.open(Buffer.from('x'))).resolves.toMatchObject({ circuit: { id: 9 } })
  })
}
