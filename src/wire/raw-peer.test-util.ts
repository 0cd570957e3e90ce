import type { Duplex } from 'node:stream'
import { encodeFrame, FrameDecoder, type OutgoingFrame } from './codec.js'
import { FrameType, HEADER_LENGTH, type Frame } from './frame.js'
import { decodeReason } from './payloads.js'

/** A 12-byte header with any field values, valid or not. */
export function rawHeader(
  type: number,
  circuit: number,
  length: number,
  flags = 0,
  reserved = 0,
): Buffer {
  const out = Buffer.alloc(HEADER_LENGTH)
  out.writeUInt8(type, 0)
  out.writeUInt8(flags, 1)
  out.writeUInt16BE(reserved, 2)
  out.writeUInt32BE(circuit, 4)
  out.writeUInt32BE(length, 8)
  return out
}

/**
 * A hand-driven peer for protocol tests: writes any bytes, and records the frames it receives
 * so a test can wait for one (e.g. the GOAWAY a misbehaving peer gets back).
 */
export class RawPeer {
  readonly frames: Frame[] = []
  private readonly decoder = new FrameDecoder()
  private notify: (() => void) | undefined

  constructor(readonly duplex: Duplex) {
    duplex.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) this.frames.push(frame)
      this.notify?.()
    })
    duplex.on('error', () => {})
  }

  send(...frames: OutgoingFrame[]): void {
    for (const frame of frames) this.duplex.write(encodeFrame(frame))
  }

  sendRaw(bytes: Uint8Array): void {
    this.duplex.write(bytes)
  }

  /** The first received frame of `type` (on `circuit` when given), waiting for it if needed. */
  async next(type: FrameType, circuit?: number): Promise<Frame> {
    for (;;) {
      const found = this.frames.find(
        (f) => f.type === type && (circuit === undefined || f.circuit === circuit),
      )
      if (found) return found
      await new Promise<void>((resolve) => {
        this.notify = resolve
      })
    }
  }

  /** The code of the GOAWAY received, waiting for it. */
  async goawayCode(): Promise<string> {
    return decodeReason((await this.next(FrameType.GOAWAY)).payload, true).code
  }
}
