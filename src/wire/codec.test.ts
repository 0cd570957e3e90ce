import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { ZhError } from '../errors.js'
import { checkHeader, encodeFrame, FrameDecoder, type OutgoingFrame } from './codec.js'
import { FrameType, HEADER_LENGTH, MAX_META, MAX_PAYLOAD, type Frame } from './frame.js'
import { encodeCredit, encodeReason } from './payloads.js'
import { rawHeader } from './raw-peer.test-util.js'

const samples: OutgoingFrame[] = [
  { type: FrameType.OPEN, circuit: 1, payload: Buffer.from('meta') },
  { type: FrameType.OPEN, circuit: 3 },
  { type: FrameType.ACCEPT, circuit: 1, payload: randomBytes(MAX_META) },
  { type: FrameType.DATA, circuit: 0xffffffff, payload: randomBytes(MAX_PAYLOAD) },
  { type: FrameType.DATA, circuit: 2, payload: Buffer.from('x') },
  { type: FrameType.CREDIT, circuit: 2, payload: encodeCredit(262144) },
  { type: FrameType.FIN, circuit: 2 },
  { type: FrameType.RESET, circuit: 2, payload: encodeReason('ZH_GRANT_EXPIRED', 'ünïcode ok') },
  { type: FrameType.PING, circuit: 0, payload: Buffer.alloc(8, 1) },
  { type: FrameType.PONG, circuit: 0, payload: Buffer.alloc(8, 2) },
  { type: FrameType.MESSAGE, circuit: 0, payload: Buffer.from('{"revoke":"x1"}') },
  { type: FrameType.MESSAGE, circuit: 0 },
  { type: FrameType.GOAWAY, circuit: 0, payload: encodeReason('', '', true) },
]

const plain = (f: Frame | OutgoingFrame) => ({
  type: f.type,
  circuit: f.circuit,
  payload: Buffer.from(f.payload ?? []).toString('hex'),
})

/** Decodes chunks, joining DATA pieces (consecutive DATA of one circuit) back into frames. */
function decodeAll(chunks: Uint8Array[]): Frame[] {
  const decoder = new FrameDecoder()
  const out: Frame[] = []
  for (const chunk of chunks) {
    for (const frame of decoder.push(chunk)) {
      const last = out.at(-1)
      if (
        frame.type === FrameType.DATA &&
        last?.type === FrameType.DATA &&
        last.circuit === frame.circuit
      ) {
        last.payload = Buffer.concat([last.payload, frame.payload])
      } else {
        out.push({ ...frame })
      }
    }
  }
  expect(decoder.buffered).toBe(0)
  return out
}

describe('codec', () => {
  const wire = Buffer.concat(samples.map((f) => encodeFrame(f)))

  it('encodes header and payload into one buffer', () => {
    const buf = encodeFrame({ type: FrameType.DATA, circuit: 7, payload: Buffer.from('abc') })
    expect(buf.toString('hex')).toBe('030000000000000700000003' + '616263')
  })

  it('round-trips every frame type in one chunk', () => {
    expect(decodeAll([wire]).map(plain)).toEqual(samples.map(plain))
  })

  it('decodes one byte at a time', () => {
    const bytes = [...wire].map((b) => Uint8Array.of(b))
    expect(decodeAll(bytes).map(plain)).toEqual(samples.map(plain))
  })

  it('decodes arbitrary splits', () => {
    for (let round = 0; round < 20; round++) {
      const chunks: Buffer[] = []
      for (let at = 0; at < wire.length;) {
        const size = 1 + Math.floor(Math.random() * 5000)
        chunks.push(wire.subarray(at, at + size))
        at += size
      }
      expect(decodeAll(chunks).map(plain)).toEqual(samples.map(plain))
    }
  })

  it('copies small payloads instead of pinning the whole chunk', () => {
    const frames = Buffer.concat([
      encodeFrame({ type: FrameType.DATA, circuit: 1, payload: Buffer.from('tiny') }),
      encodeFrame({ type: FrameType.DATA, circuit: 3, payload: Buffer.alloc(4000) }),
    ])
    const chunk = Buffer.alloc(frames.length) // its own ArrayBuffer, not Node's shared pool
    frames.copy(chunk)
    const [tiny, big] = decodeAll([chunk])
    expect(tiny!.payload.buffer).not.toBe(chunk.buffer)
    expect(big!.payload.buffer).toBe(chunk.buffer)
  })

  it('decode() hands over DATA as views of the chunk, and still copies small metadata', () => {
    const frames = Buffer.concat([
      encodeFrame({ type: FrameType.DATA, circuit: 1, payload: Buffer.from('tiny') }),
      encodeFrame({ type: FrameType.OPEN, circuit: 3, payload: Buffer.from('meta') }),
      encodeFrame({ type: FrameType.DATA, circuit: 3, payload: Buffer.alloc(4000, 9) }),
    ])
    const chunk = Buffer.alloc(frames.length)
    frames.copy(chunk)
    const seen: [FrameType, number, Buffer][] = []
    new FrameDecoder().decode(chunk, (type, circuit, payload) =>
      seen.push([type, circuit, payload]),
    )
    expect(seen.map(([t, c, p]) => [t, c, p.length])).toEqual([
      [FrameType.DATA, 1, 4],
      [FrameType.OPEN, 3, 4],
      [FrameType.DATA, 3, 4000],
    ])
    expect(seen[0]![2].buffer).toBe(chunk.buffer)
    expect(seen[0]![2].toString()).toBe('tiny')
    expect(seen[1]![2].buffer).not.toBe(chunk.buffer)
    expect(seen[2]![2].buffer).toBe(chunk.buffer)
  })

  it('decode() hands over the frames before a bad header, then throws', () => {
    const decoder = new FrameDecoder()
    const good = encodeFrame({ type: FrameType.FIN, circuit: 1 })
    const types: FrameType[] = []
    expect(() =>
      decoder.decode(Buffer.concat([good, good, rawHeader(0, 0, 0)]), (t) => types.push(t)),
    ).toThrow(expect.objectContaining({ code: 'ZH_WIRE_FRAME_TYPE_UNKNOWN' }))
    expect(types).toEqual([FrameType.FIN, FrameType.FIN])
    expect(() => decoder.decode(good, () => undefined)).toThrow(ZhError)
  })

  const bad: [string, Buffer, string][] = [
    ['an unknown type', rawHeader(0, 0, 0), 'ZH_WIRE_FRAME_TYPE_UNKNOWN'],
    ['an unknown type', rawHeader(11, 0, 0), 'ZH_WIRE_FRAME_TYPE_UNKNOWN'],
    [
      'a length over 64 KiB',
      rawHeader(FrameType.DATA, 1, MAX_PAYLOAD + 1),
      'ZH_WIRE_FRAME_TOO_LARGE',
    ],
    ['a length of 4 GiB', rawHeader(FrameType.MESSAGE, 0, 0xffffffff), 'ZH_WIRE_FRAME_TOO_LARGE'],
    [
      'metadata over 16 KiB',
      rawHeader(FrameType.ACCEPT, 1, MAX_META + 1),
      'ZH_WIRE_FRAME_TOO_LARGE',
    ],
    ['reserved bits', rawHeader(FrameType.FIN, 1, 0, 0, 0x8000), 'ZH_WIRE_PROTOCOL'],
    ['flags', rawHeader(FrameType.FIN, 1, 0, 1), 'ZH_WIRE_PROTOCOL'],
    ['an empty DATA', rawHeader(FrameType.DATA, 1, 0), 'ZH_WIRE_PROTOCOL'],
    ['a short CREDIT', rawHeader(FrameType.CREDIT, 1, 3), 'ZH_WIRE_PROTOCOL'],
    ['a long PING', rawHeader(FrameType.PING, 0, 9), 'ZH_WIRE_PROTOCOL'],
    ['a FIN with a payload', rawHeader(FrameType.FIN, 1, 1), 'ZH_WIRE_PROTOCOL'],
    ['DATA on circuit 0', rawHeader(FrameType.DATA, 0, 1), 'ZH_WIRE_PROTOCOL'],
    ['PING on a circuit', rawHeader(FrameType.PING, 1, 8), 'ZH_WIRE_PROTOCOL'],
    ['a RESET without a code', rawHeader(FrameType.RESET, 1, 2), 'ZH_WIRE_PROTOCOL'],
  ]
  for (const [what, header, code] of bad) {
    it(`refuses ${what} with ${code} before buffering any payload`, () => {
      const decoder = new FrameDecoder()
      const good = encodeFrame(samples[0]!)
      const seen: Frame[] = []
      const run = () => {
        for (const f of decoder.push(Buffer.concat([good, header, Buffer.alloc(100)]))) seen.push(f)
      }
      expect(run).toThrow(expect.objectContaining({ code }))
      expect(seen).toHaveLength(1) // the good frame before it was delivered
      expect(decoder.buffered).toBe(0)
      // A failed decoder stays failed.
      expect(() => [...decoder.push(good)]).toThrow(expect.objectContaining({ code }))
    })
  }

  it('passes DATA on in pieces as it arrives, holding none of it', () => {
    const decoder = new FrameDecoder()
    const payload = randomBytes(MAX_PAYLOAD)
    const frame = encodeFrame({ type: FrameType.DATA, circuit: 9, payload })
    const pieces: Frame[] = []
    for (let at = 0; at < frame.length; at += 16 * 1024) {
      for (const f of decoder.push(frame.subarray(at, at + 16 * 1024))) pieces.push(f)
      expect(decoder.buffered).toBe(0)
    }
    const KiB16 = 16 * 1024
    expect(pieces.map((p) => p.payload.length)).toEqual([
      KiB16 - HEADER_LENGTH,
      KiB16,
      KiB16,
      KiB16,
      HEADER_LENGTH,
    ])
    expect(pieces.every((p) => p.type === FrameType.DATA && p.circuit === 9)).toBe(true)
    expect(Buffer.concat(pieces.map((p) => p.payload)).equals(payload)).toBe(true)
  })

  it('holds at most one frame of partial data', () => {
    const decoder = new FrameDecoder()
    const frame = encodeFrame({
      type: FrameType.MESSAGE,
      circuit: 0,
      payload: randomBytes(MAX_PAYLOAD),
    })
    expect([...decoder.push(frame.subarray(0, frame.length - 1))]).toEqual([])
    expect(decoder.buffered).toBe(MAX_PAYLOAD - 1)
    expect(decoder.buffered).toBeLessThanOrEqual(HEADER_LENGTH + MAX_PAYLOAD)
    expect([...decoder.push(frame.subarray(frame.length - 1))]).toHaveLength(1)
    expect(decoder.buffered).toBe(0)
  })

  it('never throws anything but a ZhError on random bytes', () => {
    for (let i = 0; i < 2000; i++) {
      const decoder = new FrameDecoder()
      try {
        for (const _ of decoder.push(randomBytes(1 + (i % 64)))) void _
      } catch (err) {
        expect(err).toBeInstanceOf(ZhError)
        expect((err as ZhError).code).toMatch(/^ZH_WIRE_/)
      }
    }
  })

  it('refuses to encode a frame the decoder would refuse', () => {
    const tooBig = {
      type: FrameType.DATA,
      circuit: 1,
      payload: Buffer.alloc(MAX_PAYLOAD + 1),
    } as const
    expect(() => encodeFrame(tooBig)).toThrow(
      expect.objectContaining({ code: 'ZH_WIRE_ARGUMENT_INVALID' }),
    )
    expect(() =>
      encodeFrame({ type: FrameType.PING, circuit: 3, payload: Buffer.alloc(8) }),
    ).toThrow(expect.objectContaining({ code: 'ZH_WIRE_ARGUMENT_INVALID' }))
    expect(checkHeader(FrameType.FIN, 0, 0, 1, 0)).toBeUndefined()
  })
})
