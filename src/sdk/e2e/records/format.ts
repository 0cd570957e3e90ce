/**
 * The end-to-end record format (DESIGN §5). After the TLS 1.3 handshake and the grant exchange,
 * each direction of a circuit carries a sequence of records:
 *
 * ```
 * type (1) | length (2, big-endian) | AES-256-GCM ciphertext (length - 16) | tag (16)
 * ```
 *
 * The 3-byte header is the additional data, so neither the type nor the length can be changed
 * unnoticed; the nonce is the record's number in its direction, so a dropped, repeated or
 * reordered record fails its tag. `END` carries no plaintext: it says the sender finished, so a
 * stream cut anywhere else is told apart from a clean end. Both types lie outside the TLS
 * content types (20-24): the first byte that is not TLS is where the records begin.
 */

/** A record of application bytes. */
export const DATA = 0x81
/** The authenticated end of one direction (no plaintext). */
export const END = 0x82

/** Type and length. */
export const HEADER_LENGTH = 3
/** GCM tag. */
export const TAG_LENGTH = 16
/** What a record adds to its plaintext. */
export const OVERHEAD = HEADER_LENGTH + TAG_LENGTH

/**
 * Most plaintext bytes in one record: what a sender puts in, and a receiver accepts. 32 KiB, not
 * TLS's 16: a record costs a cipher set-up and a tag each way, and a bulk circuit moved about a
 * tenth more per CPU second with the bigger records (records of 16, 32 and ~64 KiB side by side on
 * one router: 141-152, 151-170 and 157-169 MiB/s). Two fit one 64 KiB DATA frame.
 */
export const MAX_PLAINTEXT = 32 * 1024
/** Largest length field a receiver accepts. */
export const MAX_CIPHERTEXT = MAX_PLAINTEXT + TAG_LENGTH

/** The cipher of every record. */
export const ALGORITHM = 'aes-256-gcm'
/** GCM nonce: 96 bits. */
export const NONCE_LENGTH = 12

/** True for the first byte of a TLS record: change_cipher_spec, alert, handshake, data, heartbeat. */
export function isTlsContentType(byte: number): boolean {
  return byte >= 20 && byte <= 24
}
