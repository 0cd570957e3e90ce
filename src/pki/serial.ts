import { randomBytes } from 'node:crypto'

/** Serial numbers are 16 random bytes: 127 bits of entropy, always 16 octets in DER. */
const SERIAL_BYTES = 16

/**
 * A fresh random certificate serial number as lowercase hex (32 digits).
 *
 * The top bit is cleared so the DER INTEGER is positive without a padding octet, and a first octet
 * of zero is drawn again so the encoding is always minimal and exactly 16 octets long (RFC 5280
 * §4.1.2.2 allows up to 20). Unpredictable serials are what made MD5 collision forgeries
 * impractical; CA/Browser Forum asks for at least 64 random bits.
 *
 * @example
 * ```ts
 * randomSerial() // '5f0c...e1' (32 hex digits)
 * ```
 */
export function randomSerial(): string {
  for (;;) {
    const bytes = randomBytes(SERIAL_BYTES)
    bytes[0] = bytes[0]! & 0x7f
    if (bytes[0] !== 0) return bytes.toString('hex')
  }
}
