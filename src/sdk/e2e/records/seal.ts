import { createCipheriv, type CipherGCM } from 'node:crypto'
import {
  ALGORITHM,
  DATA,
  END,
  HEADER_LENGTH,
  MAX_PLAINTEXT,
  OVERHEAD,
  TAG_LENGTH,
} from './format.js'
import type { TrafficKey } from './keys.js'

/**
 * Seals one direction's plaintext into records (see format.ts). Each call returns one buffer
 * holding every record it made, so a write of many chunks (or of many small writes the stream
 * gathered while the circuit was busy) reaches the circuit as one write; only the ciphertext
 * the cipher returns is copied, into that buffer.
 */
export class Sealer {
  constructor(
    private readonly key: TrafficKey,
    private readonly maxPlaintext = MAX_PLAINTEXT,
  ) {}

  /** Records of `total` bytes, the concatenation of `chunks`, at most `maxPlaintext` each. */
  seal(chunks: readonly Buffer[], total: number): Buffer {
    const max = this.maxPlaintext
    const out = Buffer.allocUnsafe(total + Math.ceil(total / max) * OVERHEAD)
    let pos = 0
    let index = 0
    let offset = 0
    for (let left = total; left > 0;) {
      const n = Math.min(left, max)
      out[pos] = DATA
      out.writeUInt16BE(n + TAG_LENGTH, pos + 1)
      const cipher = this.cipher()
      cipher.setAAD(out.subarray(pos, pos + HEADER_LENGTH))
      pos += HEADER_LENGTH
      for (let need = n; need > 0;) {
        const chunk = chunks[index]!
        const take = Math.min(need, chunk.length - offset)
        pos += cipher.update(chunk.subarray(offset, offset + take)).copy(out, pos)
        need -= take
        offset += take
        if (offset === chunk.length) {
          index++
          offset = 0
        }
      }
      cipher.final()
      pos += cipher.getAuthTag().copy(out, pos)
      left -= n
    }
    return out
  }

  /** The END record: this direction is finished. */
  end(): Buffer {
    const out = Buffer.allocUnsafe(OVERHEAD)
    out[0] = END
    out.writeUInt16BE(TAG_LENGTH, 1)
    const cipher = this.cipher()
    cipher.setAAD(out.subarray(0, HEADER_LENGTH))
    cipher.final()
    cipher.getAuthTag().copy(out, HEADER_LENGTH)
    return out
  }

  /** The cipher of the next record (the nonce first: it may move to the next key). */
  private cipher(): CipherGCM {
    const nonce = this.key.nextNonce()
    return createCipheriv(ALGORITHM, this.key.key, nonce, { authTagLength: TAG_LENGTH })
  }
}
