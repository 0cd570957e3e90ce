import { createDecipheriv, type DecipherGCM } from 'node:crypto'
import { ZhError } from '../../../errors.js'
import {
  ALGORITHM,
  DATA,
  END,
  HEADER_LENGTH,
  MAX_CIPHERTEXT,
  TAG_LENGTH,
  isTlsContentType,
} from './format.js'
import type { TrafficKey } from './keys.js'

/** Where opened records go. */
export interface OpenSink {
  /** Plaintext of a record whose tag verified. */
  data(plaintext: Buffer): void
  /** The END record verified: the peer finished this direction. */
  end(): void
}

const HEADER = 0
const BODY = 1
const TAG = 2
const ENDED = 3

/**
 * Opens one direction's records (see format.ts) from a byte stream cut anywhere. Ciphertext is
 * deciphered as it arrives, straight from the chunks it came in (a record split across chunks
 * is never reassembled), but its plaintext is held until the record's tag verified: nothing
 * unauthenticated ever leaves. Any failure throws, and the stream is dead from then on:
 * ZH_E2E_RECORD_INVALID for a record that fails authentication (altered, dropped, repeated,
 * reordered, or sealed under another key), ZH_E2E_RECORD_MALFORMED for a header no sender
 * writes (unknown type, a TLS record after the switch, a length out of bounds, bytes after END).
 */
export class Opener {
  private phase = HEADER
  private type = 0
  /** Ciphertext bytes of the current record still to come. */
  private left = 0
  private decipher: DecipherGCM | undefined
  private readonly plain: Buffer[] = []
  /** A header or tag split across chunks, and how much of it is here. */
  private readonly header = Buffer.alloc(HEADER_LENGTH)
  private readonly tag = Buffer.alloc(TAG_LENGTH)
  private have = 0
  private failed: ZhError | undefined

  constructor(private readonly key: TrafficKey) {}

  /** True once the END record verified. */
  get ended(): boolean {
    return this.phase === ENDED
  }

  /** True between the first and the last byte of a record. */
  get midRecord(): boolean {
    return this.phase !== ENDED && (this.phase !== HEADER || this.have > 0)
  }

  /** Opens whatever `chunk` completes, in order, into `sink`. */
  open(chunk: Buffer, sink: OpenSink): void {
    if (this.failed) throw this.failed
    try {
      this.consume(chunk, sink)
    } catch (err) {
      this.failed = err as ZhError
      this.decipher = undefined
      this.plain.length = 0
      throw err
    }
  }

  private consume(chunk: Buffer, sink: OpenSink): void {
    let off = 0
    while (off < chunk.length) {
      const left = chunk.length - off
      if (this.phase === HEADER) {
        if (this.have === 0 && left >= HEADER_LENGTH) {
          this.begin(chunk.subarray(off, off + HEADER_LENGTH))
          off += HEADER_LENGTH
        } else {
          const n = Math.min(HEADER_LENGTH - this.have, left)
          chunk.copy(this.header, this.have, off, off + n)
          off += n
          this.have += n
          if (this.have < HEADER_LENGTH) return
          this.have = 0
          this.begin(this.header)
        }
      } else if (this.phase === BODY) {
        const n = Math.min(this.left, left)
        const plaintext = this.decipher!.update(chunk.subarray(off, off + n))
        if (plaintext.length > 0) this.plain.push(plaintext)
        off += n
        this.left -= n
        if (this.left === 0) this.phase = TAG
      } else if (this.phase === TAG) {
        if (this.have === 0 && left >= TAG_LENGTH) {
          this.decipher!.setAuthTag(chunk.subarray(off, off + TAG_LENGTH))
          off += TAG_LENGTH
        } else {
          const n = Math.min(TAG_LENGTH - this.have, left)
          chunk.copy(this.tag, this.have, off, off + n)
          off += n
          this.have += n
          if (this.have < TAG_LENGTH) return
          this.have = 0
          this.decipher!.setAuthTag(this.tag)
        }
        this.finish(sink)
      } else {
        throw new ZhError('ZH_E2E_RECORD_MALFORMED', 'bytes after the end record')
      }
    }
  }

  private begin(header: Buffer): void {
    const type = header[0]!
    const length = header.readUInt16BE(1)
    if (type !== DATA && type !== END) {
      const what = isTlsContentType(type) ? 'a TLS record after the switch' : `record type ${type}`
      throw new ZhError('ZH_E2E_RECORD_MALFORMED', what)
    }
    if (length < TAG_LENGTH || length > MAX_CIPHERTEXT || (type === END && length !== TAG_LENGTH)) {
      throw new ZhError('ZH_E2E_RECORD_MALFORMED', `record length ${length}`)
    }
    const decipher = this.decipherNext()
    decipher.setAAD(header)
    this.decipher = decipher
    this.type = type
    this.left = length - TAG_LENGTH
    this.phase = this.left > 0 ? BODY : TAG
  }

  private finish(sink: OpenSink): void {
    try {
      this.decipher!.final()
    } catch (err) {
      throw new ZhError('ZH_E2E_RECORD_INVALID', 'a record failed authentication', { cause: err })
    }
    this.decipher = undefined
    if (this.type === END) {
      this.phase = ENDED
      return sink.end()
    }
    this.phase = HEADER
    const plain = this.plain
    for (let i = 0; i < plain.length; i++) sink.data(plain[i]!)
    plain.length = 0
  }

  /** The decipher of the next record (the nonce first: it may move to the next key). */
  private decipherNext(): DecipherGCM {
    const nonce = this.key.nextNonce()
    return createDecipheriv(ALGORITHM, this.key.key, nonce, { authTagLength: TAG_LENGTH })
  }
}
