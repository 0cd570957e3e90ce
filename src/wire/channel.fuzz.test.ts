import { describe, expect, it } from 'vitest'
import { createChannel } from './channel.js'
import { until } from './channel-fixture.test-util.js'
import type { ChannelRole } from './circuit-ids.js'
import { encodeFrame } from './codec.js'
import { FrameType, HEADER_LENGTH, MAX_PAYLOAD } from './frame.js'
import { createMemoryPair } from './memory-pair.js'
import { encodeCredit, encodeReason } from './payloads.js'
import { rawHeader, RawPeer } from './raw-peer.test-util.js'

/** mulberry32: a small seeded PRNG, so a failing run can be replayed. */
function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const SEED = 20240611
const SESSIONS = 300
const FRAMES_PER_SESSION = 12

describe('channel fuzz', () => {
  it(`survives ${SESSIONS * FRAMES_PER_SESSION} random and mutated frames (seed ${SEED})`, async () => {
    const rand = prng(SEED)
    const int = (n: number) => Math.floor(rand() * n)
    const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)))
    const pick = <T>(items: T[]): T => items[int(items.length)]!

    /** Circuit ids as the session goes: the peer's next OPEN id, and every id either side used. */
    let peerNext = 0
    let known: number[] = []

    /** A well-formed frame, mostly about circuits that exist; whether it fits the moment is up to chance. */
    function plausible(): Buffer {
      const circuit = known.length && rand() < 0.85 ? pick(known) : 1 + int(12)
      switch (
        pick([
          'open',
          'open',
          'accept',
          'data',
          'data',
          'credit',
          'fin',
          'reset',
          'ping',
          'pong',
          'message',
          'goaway',
        ])
      ) {
        case 'open': {
          const id = rand() < 0.9 ? peerNext : 1 + int(12)
          peerNext += 2
          known.push(id)
          return encodeFrame({ type: FrameType.OPEN, circuit: id, payload: bytes(int(40)) })
        }
        case 'accept':
          return encodeFrame({ type: FrameType.ACCEPT, circuit, payload: bytes(int(40)) })
        case 'data':
          return encodeFrame({
            type: FrameType.DATA,
            circuit,
            payload: bytes(1 + int(rand() < 0.1 ? 9000 : 1500)),
          })
        case 'credit':
          return encodeFrame({
            type: FrameType.CREDIT,
            circuit,
            payload: encodeCredit(1 + int(2 ** 20)),
          })
        case 'fin':
          return encodeFrame({ type: FrameType.FIN, circuit })
        case 'reset':
          return encodeFrame({
            type: FrameType.RESET,
            circuit,
            payload: encodeReason(
              pick(['ZH_WIRE_CIRCUIT_CLOSED', 'ZH_GRANT_EXPIRED', 'X']),
              'fuzz',
            ),
          })
        case 'ping':
          return encodeFrame({ type: FrameType.PING, circuit: 0, payload: bytes(8) })
        case 'pong':
          return encodeFrame({ type: FrameType.PONG, circuit: 0, payload: bytes(8) })
        case 'message':
          return encodeFrame({ type: FrameType.MESSAGE, circuit: 0, payload: bytes(int(100)) })
        default:
          return encodeFrame({
            type: FrameType.GOAWAY,
            circuit: 0,
            payload: encodeReason(pick(['', 'ZH_WIRE_PROTOCOL']), '', true),
          })
      }
    }

    /** Per circuit of a well-behaved session: DATA bytes sent (≤ the 4 KiB window) and FIN sent. */
    let sent = new Map<number, { bytes: number; fin: boolean }>()

    /** A frame a correct peer could send now: a well-behaved session must stay open. */
    function valid(): Buffer {
      const open = [...sent.entries()].filter(([, c]) => !c.fin)
      const r = rand()
      if (r < 0.2 || open.length === 0) {
        const id = peerNext
        peerNext += 2
        sent.set(id, { bytes: 0, fin: false })
        return encodeFrame({ type: FrameType.OPEN, circuit: id, payload: bytes(int(40)) })
      }
      const [id, state] = pick(open)
      if (r < 0.6 && state.bytes < 4096) {
        const n = 1 + int(Math.min(1500, 4096 - state.bytes))
        state.bytes += n
        return encodeFrame({ type: FrameType.DATA, circuit: id, payload: bytes(n) })
      }
      if (r < 0.7) {
        state.fin = true
        return encodeFrame({ type: FrameType.FIN, circuit: id })
      }
      if (r < 0.75) {
        state.fin = true
        return encodeFrame({
          type: FrameType.RESET,
          circuit: id,
          payload: encodeReason('ZH_GRANT_EXPIRED', 'fuzz'),
        })
      }
      if (r < 0.85)
        return encodeFrame({
          type: FrameType.CREDIT,
          circuit: id,
          payload: encodeCredit(1 + int(4096)),
        })
      if (r < 0.93)
        return encodeFrame({ type: FrameType.MESSAGE, circuit: 0, payload: bytes(int(100)) })
      return encodeFrame({ type: FrameType.PING, circuit: 0, payload: bytes(8) })
    }

    function mutated(): Buffer {
      const frame = Buffer.from(plausible())
      for (let flips = 1 + int(3); flips > 0; flips--) frame[int(frame.length)] = int(256)
      return rand() < 0.2 ? frame.subarray(0, int(frame.length)) : frame
    }

    function anyFrame(): Buffer {
      const r = rand()
      if (r < 0.8) return plausible()
      if (r < 0.93) return mutated()
      if (r < 0.95)
        return rawHeader(
          int(14),
          int(10),
          int(rand() < 0.5 ? 100 : 2 ** 32),
          int(2) ? 0 : int(256),
          int(2) ? 0 : int(65536),
        )
      return bytes(1 + int(30))
    }

    const outcomes = {
      open: 0,
      flushed: 0,
      closedNormally: 0,
      closedWithCode: new Map<string, number>(),
    }
    for (let session = 0; session < SESSIONS; session++) {
      const role: ChannelRole = session % 2 ? 'acceptor' : 'initiator'
      const pair = createMemoryPair()
      const channel = createChannel(pair.a, { role, window: 4096, maxCircuits: 4, keepaliveMs: 0 })
      let closeError: { code: string } | undefined
      let closed = false
      channel.on('close', (err) => {
        closed = true
        closeError = err
      })
      channel.on('message', () => {})
      channel.on('circuit', (p) => {
        if (rand() < 0.2) return p.reject('ZH_GRANT_INVALID')
        const c = p.accept()
        c.on('error', () => {})
        if (rand() < 0.5) c.resume()
        if (rand() < 0.3) c.end(bytes(int(5000)))
      })
      for (let i = 0; i < 2; i++) {
        channel.open(bytes(int(20))).then(
          ({ circuit }) => {
            circuit.on('error', () => {})
            circuit.resume()
            circuit.write(bytes(int(3000)))
          },
          () => {},
        )
      }
      const peer = new RawPeer(pair.b)
      peerNext = role === 'initiator' ? 2 : 1
      known = role === 'initiator' ? [1, 3] : [2, 4]
      sent = new Map()
      const wellBehaved = rand() < 0.4
      const input = Buffer.concat(
        Array.from({ length: FRAMES_PER_SESSION }, wellBehaved ? valid : anyFrame),
      )
      for (let at = 0; at < input.length;) {
        const size = 1 + int(200)
        peer.sendRaw(input.subarray(at, at + size))
        at += size
      }
      await new Promise((r) => setImmediate(r))
      const pong = () =>
        peer.frames.some((f) => f.type === FrameType.PONG && f.payload.equals(Buffer.alloc(8, 9)))
      if (!closed) {
        // Still open: it must still be answering...
        peer.sendRaw(encodeFrame({ type: FrameType.PING, circuit: 0, payload: Buffer.alloc(8, 9) }))
        await until(() => pong() || closed, 300).catch(() => {})
      }
      if (!closed && !pong()) {
        // ...unless a cut frame left it waiting for payload: one max frame of zeros completes that
        // frame, and a zero type byte follows, so it must now close (never wedge).
        peer.sendRaw(Buffer.alloc(HEADER_LENGTH + MAX_PAYLOAD + HEADER_LENGTH))
        await until(() => closed, 1000)
        outcomes.flushed++
      }
      await new Promise((r) => setImmediate(r))
      if (closed) {
        if (closeError) {
          expect(closeError.code).toMatch(/^ZH_WIRE_/)
          outcomes.closedWithCode.set(
            closeError.code,
            (outcomes.closedWithCode.get(closeError.code) ?? 0) + 1,
          )
        } else {
          outcomes.closedNormally++
        }
      } else {
        expect(pong()).toBe(true)
        outcomes.open++
      }
      if (wellBehaved)
        expect({ session, closed, closeError }).toEqual({
          session,
          closed: false,
          closeError: undefined,
        })
      channel.close()
      pair.a.destroy()
      pair.b.destroy()
    }
    // The mix must exercise both outcomes, and several distinct close codes.
    expect(outcomes.open).toBeGreaterThan(SESSIONS / 4)
    expect([...outcomes.closedWithCode.keys()].sort()).toEqual(
      expect.arrayContaining([
        'ZH_WIRE_FRAME_TOO_LARGE',
        'ZH_WIRE_FRAME_TYPE_UNKNOWN',
        'ZH_WIRE_PROTOCOL',
      ]),
    )
  })
})
