import { createHmac, createSecretKey, type KeyObject } from 'node:crypto'
import { ZhError } from '../../../errors.js'
import { NONCE_LENGTH } from './format.js'

/** The exporter label (RFC 8446 §7.5) both ends derive the record secrets with. */
export const EXPORTER_LABEL = 'EXPORTER-zerohook-e2e-v1'
/** One traffic secret: SHA-256 sized. */
export const SECRET_LENGTH = 32
/**
 * Records sealed under one key before both ends move to the next: 2^24, within RFC 8446 §5.5's
 * bound for AES-GCM (2^24.5 full-size records per key) and far from the 2^32 the nonce can count.
 */
export const DEFAULT_RECORDS_PER_KEY = 2 ** 24

/**
 * HKDF-Expand (RFC 5869) of one block under a zerohook label: T(1) = HMAC-SHA256(secret,
 * "zerohook e2e " + label | 0x01). Every output here is at most one block (32 bytes).
 */
export function expand(secret: Buffer, label: string, length: number): Buffer {
  const hmac = createHmac('sha256', secret)
  hmac.update(`zerohook e2e ${label}`, 'latin1')
  hmac.update(ONE)
  return hmac.digest().subarray(0, length)
}
const ONE = Buffer.from([1])

/**
 * One direction's keys: the current traffic secret, the AES-256-GCM key and IV derived from it,
 * and the number of the next record. The nonce is the IV XOR the record number (as in TLS 1.3).
 * After `recordsPerKey` records the secret moves on, HKDF-Expand(secret, "traffic upd") like a
 * TLS 1.3 KeyUpdate, and numbering starts over: sender and receiver count alike, so the switch
 * needs no message, and a peer that switched at another point fails its next tag.
 */
export class TrafficKey {
  /** The key of the record whose nonce {@link nextNonce} returned last. */
  key!: KeyObject
  private secret!: Buffer
  private iv!: Buffer
  private low = 0
  private seq = 0
  /** Reused: createCipheriv copies the nonce it is given. */
  private readonly nonce = Buffer.alloc(NONCE_LENGTH)

  constructor(
    secret: Buffer,
    private readonly recordsPerKey = DEFAULT_RECORDS_PER_KEY,
  ) {
    if (!Number.isInteger(recordsPerKey) || recordsPerKey < 1 || recordsPerKey > 2 ** 32) {
      throw new ZhError('ZH_INTERNAL', `records per key must be 1 to 2^32, not ${recordsPerKey}`)
    }
    this.install(Buffer.from(secret))
  }

  /** The nonce of the next record, moving to the next key first when this one is used up. */
  nextNonce(): Buffer {
    if (this.seq === this.recordsPerKey) {
      const next = expand(this.secret, 'traffic upd', 32)
      this.secret.fill(0)
      this.install(next)
    }
    this.nonce.writeUInt32BE((this.low ^ this.seq) >>> 0, NONCE_LENGTH - 4)
    this.seq++
    return this.nonce
  }

  private install(secret: Buffer): void {
    this.secret = secret
    this.key = createSecretKey(expand(secret, 'key', 32))
    this.iv = expand(secret, 'iv', NONCE_LENGTH)
    this.iv.copy(this.nonce, 0, 0, NONCE_LENGTH - 4)
    this.low = this.iv.readUInt32BE(NONCE_LENGTH - 4)
    this.seq = 0
  }
}

/** Which end of the circuit: the dialer is the TLS client, the hoster the TLS server. */
export type Side = 'dialer' | 'hoster'

/** The keys of both directions, as one end uses them. */
export interface RecordKeys {
  send: TrafficKey
  receive: TrafficKey
}

/**
 * Splits the exporter output (2 × {@link SECRET_LENGTH} bytes) into the dialer→hoster and the
 * hoster→dialer secrets and returns them as this end's send and receive keys. The exporter is
 * bound to the whole TLS handshake, so both keys are bound to the two identity certificates.
 */
export function recordKeys(exported: Buffer, side: Side, recordsPerKey?: number): RecordKeys {
  if (exported.length !== 2 * SECRET_LENGTH) {
    throw new ZhError('ZH_INTERNAL', `exporter gave ${exported.length} bytes`)
  }
  const toHoster = new TrafficKey(exported.subarray(0, SECRET_LENGTH), recordsPerKey)
  const toDialer = new TrafficKey(exported.subarray(SECRET_LENGTH), recordsPerKey)
  exported.fill(0)
  return side === 'dialer'
    ? { send: toHoster, receive: toDialer }
    : { send: toDialer, receive: toHoster }
}
