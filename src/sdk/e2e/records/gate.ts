import { Duplex } from 'node:stream'
import { ZhError } from '../../../errors.js'
import { isTlsContentType } from './format.js'

/** TLS record header: type, version, length. */
const TLS_HEADER = 5
/** Largest TLSCiphertext (RFC 8446 §5.2: 2^14 + 256). */
const MAX_TLS_RECORD = 2 ** 14 + 256

const EMPTY = Buffer.alloc(0)

/**
 * The stream the end-to-end TLS handshake runs over: it stands between the circuit and the TLS
 * socket, so that the switch to our records (see format.ts) is exact.
 *
 * The peer sends its first record right behind its `ok`, in the same bytes perhaps, while the
 * TLS socket would read anything the circuit brings. So incoming bytes are cut at TLS record
 * boundaries (5-byte header, content types 20-24) and only TLS records reach TLS; once the TLS
 * handshake is done ({@link secured}), at the first record boundary whose byte is not a TLS
 * type, the gate stops reading the circuit and holds
 * the rest of that chunk (what follows stays in the circuit, under its flow control) for
 * {@link handOver}. After the hand-over the gate drops whatever the TLS socket still writes
 * (a close_notify, say), so nothing of the old TLS session reaches the circuit, and it never
 * ends or destroys the circuit: until the switch the handshake's failure path owns it, after it
 * the record socket.
 *
 * The alternatives were worse: tearing TLS down at an exact byte offset is not something Node's
 * TLS socket offers, and a TLS record layer kept alive for the data is what this replaces.
 */
export class TlsGate extends Duplex {
  /** Bytes of the current TLS record still to pass. */
  private tlsLeft = 0
  /** The start of a TLS header split across chunks. */
  private partial: Buffer | undefined
  /** Our records, from the first byte that was not TLS; set once, then the circuit is paused. */
  private held: Buffer | undefined
  /** The TLS handshake is done: records may follow (before, none can: bytes go to TLS as they are). */
  private handshaken = false
  /** Before the handshake was done, bytes that are not TLS came: TLS gets them all, and fails. */
  private raw = false
  private switched = false

  constructor(private readonly circuit: Duplex) {
    super({ allowHalfOpen: true })
    circuit.on('data', this.onData)
    circuit.on('end', this.onEnd)
    circuit.on('error', this.onError)
    circuit.on('close', this.onClose)
  }

  /** The TLS handshake is through: from now on the first byte that is not TLS starts the records. */
  secured(): void {
    this.handshaken = true
  }

  /**
   * Ends the handshake's use of the circuit: detaches from it, pauses it (the record socket
   * resumes it) and returns the record bytes that arrived with the last TLS records. From now on
   * every write of the TLS socket is dropped.
   */
  handOver(): Buffer {
    this.switched = true
    this.detach()
    this.circuit.pause()
    const held = this.held ?? EMPTY
    this.held = undefined
    return held
  }

  override _read(): void {
    if (!this.held && !this.switched) this.circuit.resume()
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.switched) return cb()
    this.circuit.write(chunk, cb)
  }

  override _final(cb: (err?: Error | null) => void): void {
    // A refusal ends the TLS socket: its FIN goes out right behind the refusal.
    if (!this.switched) this.circuit.end()
    cb()
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.detach()
    cb(err)
  }

  private detach(): void {
    this.circuit.off('data', this.onData)
    this.circuit.off('end', this.onEnd)
    this.circuit.off('error', this.onError)
    this.circuit.off('close', this.onClose)
  }

  private readonly onData = (data: Buffer): void => {
    if (this.held) {
      // Only if something resumed the circuit behind our back: keep the order all the same.
      this.held = Buffer.concat([this.held, data])
      this.circuit.pause()
      return
    }
    let chunk = data
    if (this.partial) {
      chunk = Buffer.concat([this.partial, chunk])
      this.partial = undefined
    }
    if (this.raw) {
      if (!this.push(chunk)) this.circuit.pause()
      return
    }
    let off = 0
    while (off < chunk.length) {
      if (this.tlsLeft > 0) {
        const n = Math.min(this.tlsLeft, chunk.length - off)
        this.tlsLeft -= n
        if (!this.push(chunk.subarray(off, (off += n)))) this.circuit.pause()
        continue
      }
      if (!isTlsContentType(chunk[off]!) && !this.handshaken) {
        // A peer that does not speak TLS: TLS says so, with its own alert.
        this.raw = true
        if (!this.push(chunk.subarray(off))) this.circuit.pause()
        return
      }
      if (!isTlsContentType(chunk[off]!)) {
        this.held = chunk.subarray(off)
        this.circuit.pause()
        return
      }
      if (chunk.length - off < TLS_HEADER) {
        this.partial = Buffer.from(chunk.subarray(off))
        return
      }
      const length = chunk.readUInt16BE(off + 3)
      if (length > MAX_TLS_RECORD) {
        this.destroy(new ZhError('ZH_E2E_PROTOCOL', `TLS record length ${length}`))
        return
      }
      this.tlsLeft = TLS_HEADER + length
    }
  }

  private readonly onEnd = (): void => {
    this.push(null)
  }

  private readonly onError = (err: Error): void => {
    this.destroy(err)
  }

  private readonly onClose = (): void => {
    this.destroy()
  }
}
