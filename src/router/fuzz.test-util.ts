import { FrameType, MAX_PAYLOAD } from '../wire/index.js'
import { encodeOverlay } from '../wire/overlay.js'
import { encodeCredit, encodeReason } from '../wire/payloads.js'
import { raw, WINDOW, type Target } from './abuse.test-util.js'
import type { Probe } from './traffic.test-util.js'

/** mulberry32: a small seeded PRNG, so a failing connection can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Throws 20-80 frames at the router, stopping when it closes the connection. Most are plausible
 * (dials with a real grant, DATA and CREDIT on live circuits, FIN, RESET, PING, PONG, refused
 * OPENs, binds with forged grants), so the connection lives long enough to reach deep states;
 * about one in twenty is hostile: a mutated frame (flipped byte, random length, type, flags or
 * circuit, cut short), garbage overlay JSON, a frame for a circuit never opened, DATA beyond the
 * window, an ACCEPT nobody asked for, a GOAWAY. Returns the number of frames sent.
 */
export async function fuzzConnection(
  probe: Probe,
  rand: () => number,
  dialMeta: (target: Target) => Uint8Array,
): Promise<number> {
  const int = (n: number) => Math.floor(rand() * n)
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)))
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!
  const live: number[] = []
  const finished = new Set<number>()
  let next = 1
  const junkJson = [
    '{',
    'null',
    '[]',
    '"echo"',
    '{"t":"bind"}',
    '{"t":"bind","id":1,"service":"","grant":"g"}',
    '{"t":"unbind","id":1.5}',
    '{"service":"echo","grant":{"a":1}}',
    `{"service":"${'x'.repeat(9000)}","grant":"g"}`,
    '\u0000\u00ff',
  ]
  const junk = (): Buffer => (rand() < 0.7 ? Buffer.from(pick(junkJson)) : bytes(int(200)))
  const sending = () => live.filter((id) => !finished.has(id))
  const closed = () => probe.socket.destroyed || probe.goaway !== undefined

  /** A frame that a well-behaved endpoint could send now (or a harmless refusal). */
  const plausible = (): Buffer | 'dial' => {
    const open = sending()
    const kind = pick([
      'dial',
      'data',
      'data',
      'data',
      'credit',
      'ping',
      'pong',
      'bind',
      'unbind',
      'refused',
      'reset',
      'fin',
    ] as const)
    if (open.length === 0 && ['data', 'credit', 'reset', 'fin'].includes(kind)) return 'dial'
    switch (kind) {
      case 'dial':
        return 'dial'
      case 'data':
        return raw(FrameType.DATA, pick(open), bytes(1 + int(rand() < 0.1 ? 16_000 : 1500)))
      case 'credit':
        return raw(FrameType.CREDIT, pick(live), encodeCredit(1 + int(64 * 1024)))
      case 'ping':
      case 'pong':
        return raw(kind === 'ping' ? FrameType.PING : FrameType.PONG, 0, bytes(8))
      case 'bind':
        return raw(
          FrameType.MESSAGE,
          0,
          encodeOverlay({
            t: 'bind',
            id: int(9),
            service: pick(['echo', 'sink', 'nope']),
            grant: `${bytes(8).toString('base64url')}.x.y`,
          }),
        )
      case 'unbind':
        return raw(FrameType.MESSAGE, 0, encodeOverlay({ t: 'unbind', id: int(9) }))
      case 'refused': {
        const id = next
        next += 2
        return raw(FrameType.OPEN, id, junk())
      }
      case 'reset': {
        const id = pick(open)
        live.splice(live.indexOf(id), 1)
        return raw(FrameType.RESET, id, encodeReason(pick(['ZH_X', 'ZH_WIRE_CIRCUIT_CLOSED', 'A'])))
      }
      case 'fin': {
        const id = pick(open)
        finished.add(id)
        return raw(FrameType.FIN, id)
      }
    }
  }

  /** A frame that breaks a rule, more or less subtly. */
  const hostile = (): Buffer => {
    const any = () => (live.length > 0 && rand() < 0.5 ? pick(live) : 1 + int(64))
    switch (int(9)) {
      case 0:
      case 1:
      case 2: {
        const p = plausible()
        return mutate(p === 'dial' ? raw(FrameType.OPEN, next, dialMeta('echo')) : p, rand)
      }
      case 3:
        return raw(FrameType.MESSAGE, 0, junk())
      case 4:
        return raw(
          pick([FrameType.DATA, FrameType.FIN, FrameType.CREDIT, FrameType.RESET]),
          any(),
          bytes(int(8)),
        )
      case 5: {
        const full = raw(FrameType.DATA, any(), Buffer.alloc(MAX_PAYLOAD, int(256)))
        return Buffer.concat(Array.from({ length: 10 }, () => full))
      }
      case 6:
        return raw(FrameType.ACCEPT, any(), bytes(int(30)))
      case 7:
        return raw(
          FrameType.OPEN,
          rand() < 0.5 && next > 1 ? next - 2 : 2 * int(32),
          dialMeta('echo'),
        )
      default:
        return raw(
          FrameType.GOAWAY,
          0,
          rand() < 0.5 ? encodeReason('', '', true) : bytes(2 + int(10)),
        )
    }
  }

  let frames = 0
  const count = 20 + int(61)
  for (let i = 0; i < count && !closed(); i++) {
    const step = rand() < 0.05 ? hostile() : plausible()
    if (step === 'dial') {
      const id = next
      next += 2
      probe.write(raw(FrameType.OPEN, id, dialMeta(rand() < 0.85 ? 'echo' : 'sink')))
      probe.write(raw(FrameType.CREDIT, id, encodeCredit(1 + int(WINDOW))))
      frames += 2
      // Let the router relay it, so that later frames meet a live circuit.
      await probe.waitFor(() => probe.accepted.has(id) || probe.resets.has(id) || closed(), 1000)
      if (probe.accepted.has(id) && !probe.resets.has(id)) live.push(id)
      continue
    }
    // Sometimes split a frame across writes, to exercise partial headers and payloads.
    if (rand() < 0.2 && step.length > 1) {
      const cut = 1 + int(step.length - 1)
      probe.write(step.subarray(0, cut))
      await new Promise((r) => setImmediate(r))
      probe.write(step.subarray(cut))
    } else {
      probe.write(step)
    }
    frames++
  }
  return frames
}

/** One random corruption of an encoded frame. */
function mutate(out: Buffer, rand: () => number): Buffer {
  const copy = Buffer.from(out)
  const int = (n: number) => Math.floor(rand() * n)
  switch (int(6)) {
    case 0: {
      const at = int(copy.length)
      copy.writeUInt8(copy.readUInt8(at) ^ (1 << int(8)), at)
      return copy
    }
    case 1:
      copy.writeUInt32BE(rand() < 0.5 ? int(2 ** 32) : MAX_PAYLOAD + 1 + int(1000), 8)
      return copy
    case 2:
      copy.writeUInt8(int(256), 0)
      return copy
    case 3:
      copy.writeUInt8(1 + int(255), 1)
      return copy
    case 4:
      copy.writeUInt32BE(int(2 ** 32), 4)
      return copy
    default:
      return copy.subarray(0, int(copy.length))
  }
}
