import { randomBytes } from 'node:crypto'
import { Duplex } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { Circuit, type CircuitLink } from './circuit.js'
import { FrameDecoder } from './codec.js'
import { FrameType, HEADER_LENGTH, MAX_PAYLOAD, type Frame } from './frame.js'
import { SlabPool } from './slabs.js'
import { FrameWriter, MAX_DATA_BACKLOG } from './writer.js'

/** A stream whose writes complete only when the test says so, as a slow TLS socket's would. */
class HeldStream extends Duplex {
  readonly writes: Buffer[] = []
  private readonly held: (() => void)[] = []
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.writes.push(chunk)
    this.held.push(done)
  }
  override _read(): void {}
  /** Completes the write in flight. */
  complete(): void {
    this.held.shift()?.()
  }
}

const tick = () => new Promise((r) => setImmediate(r))

function decode(chunks: Buffer[]): Frame[] {
  const decoder = new FrameDecoder()
  return chunks.flatMap((c) => [...decoder.push(c)])
}

function writerOn(stream: HeldStream): FrameWriter {
  return new FrameWriter(stream, { drain: () => undefined, stalled: () => undefined })
}

/** A circuit of `writer` with `credit` to send. */
function circuitOf(writer: FrameWriter, credit: number): Circuit {
  const link: CircuitLink = {
    ready: (c) => writer.schedule(c),
    sendFin: () => undefined,
    sendCredit: () => undefined,
    sendReset: () => undefined,
    release: (c) => writer.forget(c),
  }
  const circuit = new Circuit(1, 64 * 1024, link, 'open')
  circuit.onCredit(credit)
  return circuit
}

describe('FrameWriter', () => {
  it('writes at once when idle, and the frames queued during a write as one write after it', async () => {
    const stream = new HeldStream()
    const writer = writerOn(stream)
    writer.control(FrameType.PING, 0, Buffer.alloc(8, 0))
    expect(stream.writes).toHaveLength(1) // nothing in flight: no wait
    for (let i = 1; i < 8; i++) writer.control(FrameType.PING, 0, Buffer.alloc(8, i))
    await tick()
    expect(stream.writes).toHaveLength(1) // the first is still in flight
    stream.complete()
    await tick()
    expect(stream.writes).toHaveLength(2)
    expect(decode(stream.writes.slice(1))).toHaveLength(7)
    const frames = decode(stream.writes)
    expect(frames.map((f) => f.payload[0])).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
  })

  it('stops DATA at MAX_DATA_BACKLOG while the stream does not take it, then sends it all', async () => {
    const stream = new HeldStream()
    const writer = writerOn(stream)
    const data = randomBytes(4 * 1024 * 1024)
    const circuit = circuitOf(writer, data.length)
    let written = false
    circuit.write(data, () => (written = true))
    await tick()
    await tick()
    const queued = stream.writes.reduce((n, b) => n + b.length, 0)
    const frame = HEADER_LENGTH + MAX_PAYLOAD
    expect(queued).toBeGreaterThan(0)
    expect(queued).toBeLessThanOrEqual(MAX_DATA_BACKLOG + frame)
    expect(circuit.bytesWritten).toBeLessThanOrEqual(MAX_DATA_BACKLOG + MAX_PAYLOAD)
    expect(writer.backpressured).toBe(true)

    for (let i = 0; i < 1000 && !written; i++) {
      stream.complete()
      await tick()
    }
    expect(written).toBe(true)
    // The circuit's callback means the writer took the last piece; flush what it still queues.
    for (let i = 0; i < 5; i++) {
      stream.complete()
      await tick()
    }
    const frames = decode(stream.writes)
    expect(frames.every((f) => f.type === FrameType.DATA && f.circuit === 1)).toBe(true)
    expect(Buffer.concat(frames.map((f) => f.payload)).equals(data)).toBe(true)
  })

  it('sends what was written even when the writer reuses its buffer once the write completed', async () => {
    const stream = new HeldStream()
    const writer = writerOn(stream)
    const circuit = circuitOf(writer, 1024 * 1024)
    const buffer = Buffer.alloc(1000, 1)
    await new Promise<void>((resolve) => circuit.write(buffer, () => resolve()))
    buffer.fill(2) // allowed: the write completed
    await new Promise<void>((resolve) => circuit.write(buffer, () => resolve()))
    buffer.fill(3)
    for (let i = 0; i < 3; i++) {
      stream.complete()
      await tick()
    }
    const payload = Buffer.concat(decode(stream.writes).map((f) => f.payload))
    expect(payload.equals(Buffer.concat([Buffer.alloc(1000, 1), Buffer.alloc(1000, 2)]))).toBe(true)
  })

  it('joins the pieces of one circuit queued behind a write into one DATA frame of at most 64 KiB', async () => {
    const stream = new HeldStream()
    const writer = writerOn(stream)
    const circuit = circuitOf(writer, 1024 * 1024)
    const write = (b: Buffer) => new Promise<void>((resolve) => circuit.write(b, () => resolve()))
    const pieces = [1, 2, 3, 4, 5, 6].map((n) => Buffer.alloc(20_000, n))
    for (const p of pieces) await write(p) // the first goes out at once, the rest queue
    writer.control(FrameType.PING, 0, Buffer.alloc(8)) // a control frame ends the joinable tail
    await write(Buffer.alloc(10, 7))
    for (let i = 0; i < 3; i++) {
      stream.complete()
      await tick()
    }
    const frames = decode([Buffer.concat(stream.writes)])
    expect(frames.map((f) => [f.type, f.payload.length])).toEqual([
      [FrameType.DATA, 20_000],
      [FrameType.DATA, 60_000], // pieces 2-4: a fourth would pass 64 KiB
      [FrameType.DATA, 40_000], // pieces 5-6
      [FrameType.PING, 8],
      [FrameType.DATA, 10],
    ])
    const data = Buffer.concat(
      frames.filter((f) => f.type === FrameType.DATA).map((f) => f.payload),
    )
    expect(data.equals(Buffer.concat([...pieces, Buffer.alloc(10, 7)]))).toBe(true)
  })

  it('never joins pieces of different circuits', async () => {
    const stream = new HeldStream()
    const writer = writerOn(stream)
    const a = circuitOf(writer, 1024 * 1024)
    const link = {
      ready: (c: Circuit) => writer.schedule(c),
      sendFin: () => undefined,
      sendCredit: () => undefined,
      sendReset: () => undefined,
      release: (c: Circuit) => writer.forget(c),
    }
    const b = new Circuit(3, 64 * 1024, link, 'open')
    b.onCredit(1024 * 1024)
    writer.control(FrameType.PING, 0, Buffer.alloc(8)) // in flight: what follows queues
    for (const c of [a, b, a, b]) c.write(Buffer.alloc(100, c.id))
    await tick()
    stream.complete()
    await tick()
    const frames = decode([Buffer.concat(stream.writes)]).filter((f) => f.type === FrameType.DATA)
    expect(frames.map((f) => [f.circuit, f.payload.length])).toEqual([
      [1, 100],
      [3, 100],
      [1, 100],
      [3, 100],
    ])
  })

  it('with a slab pool, reuses a write buffer only once its write completed', async () => {
    // As a socket: done with a buffer once it calls back, so a copy taken then is what it sent.
    class SocketLikeStream extends Duplex {
      readonly sent: Buffer[] = []
      readonly buffers = new Set<ArrayBufferLike>()
      private held: { chunk: Buffer; copy: Buffer; done: () => void } | undefined
      override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
        this.buffers.add(chunk.buffer)
        this.held = { chunk, copy: Buffer.from(chunk), done }
      }
      override _read(): void {}
      complete(): boolean {
        const h = this.held
        if (!h) return false
        this.held = undefined
        // Nothing wrote into it while it was out.
        expect(h.chunk.equals(h.copy)).toBe(true)
        this.sent.push(h.copy)
        h.done()
        return true
      }
    }
    const stream = new SocketLikeStream()
    const writer = new FrameWriter(
      stream,
      { drain: () => undefined, stalled: () => undefined },
      new SlabPool(),
    )
    const link: CircuitLink = {
      ready: (c) => writer.schedule(c),
      sendFin: () => undefined,
      sendCredit: () => undefined,
      sendReset: () => undefined,
      release: (c) => writer.forget(c),
    }
    const circuit = new Circuit(1, 64 * 1024, link, 'open')
    const data = randomBytes(8 * 1024 * 1024)
    circuit.onCredit(data.length)
    let written = false
    circuit.write(data, () => (written = true))
    for (let i = 0; i < 10_000 && !(written && !stream.complete()); i++) {
      writer.control(FrameType.PING, 0, Buffer.alloc(8, i & 0xff)) // control frames in between
      stream.complete()
      await tick()
    }
    const frames = decode(stream.sent)
    const payload = Buffer.concat(
      frames.filter((f) => f.type === FrameType.DATA).map((f) => f.payload),
    )
    expect(payload.equals(data)).toBe(true)
    expect(stream.sent.length).toBeGreaterThan(30)
    expect(stream.buffers.size).toBeLessThanOrEqual(4)
  })
})
