import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/**
 * The knock: what an endpoint or a linking router sends on a new TCP connection to a router,
 * before TLS, so that a router run with `--knock` can stay silent to everyone else (see
 * README, "Knocking"). 32 bytes that look random: a 16-byte nonce and the first 16 bytes of
 * HMAC-SHA256, under the network's knock key, of a label, the time step and the nonce. The
 * time is not sent: the router tries the steps of its window, under the current key and the
 * previous one. Nothing in it names the network or the sender.
 */
export const KNOCK_LENGTH = 32
/** The time step a knock is made for, ms. */
export const KNOCK_STEP_MS = 10_000
/** Steps either side of the router's own that it accepts: clocks may differ by about 30 s. */
export const KNOCK_SKEW_STEPS = 3
/**
 * How long a router must remember a nonce so that no knock can be replayed: as long as a
 * knock is accepted at all (its step, and the skew on either side of it).
 */
export const KNOCK_REPLAY_MS = (2 * KNOCK_SKEW_STEPS + 2) * KNOCK_STEP_MS
/** The first byte of a TLS handshake record: a knock never starts with it. */
export const TLS_HANDSHAKE = 0x16

const LABEL = Buffer.from('zerohook knock v1\0')
const NONCE = 16
const TAG = 16

function tag(key: Buffer, step: number, nonce: Buffer): Buffer {
  const stepBytes = Buffer.alloc(8)
  stepBytes.writeBigUInt64BE(BigInt(step))
  return createHmac('sha256', key)
    .update(LABEL)
    .update(stepBytes)
    .update(nonce)
    .digest()
    .subarray(0, TAG)
}

/** Decodes knock keys as the controller hands them out (base64url), skipping malformed ones. */
export function knockKeys(encoded: readonly string[] | undefined): Buffer[] {
  return (encoded ?? [])
    .filter((k) => typeof k === 'string' && /^[A-Za-z0-9_-]{43}$/.test(k))
    .map((k) => Buffer.from(k, 'base64url'))
}

/**
 * A fresh knock under `key` (the network's current knock key) for the time `now`.
 *
 * @example
 * ```ts
 * socket.write(makeKnock(knockKeys(identity.knock)[0]!))
 * ```
 */
export function makeKnock(key: Buffer, now = Date.now()): Buffer {
  let nonce = randomBytes(NONCE)
  // A router without --knock tells a knock from a TLS ClientHello by its first byte.
  while (nonce[0] === TLS_HANDSHAKE) nonce = randomBytes(NONCE)
  return Buffer.concat([nonce, tag(key, Math.floor(now / KNOCK_STEP_MS), nonce)])
}

/**
 * Checks a knock against the router's keys (current and previous) at time `now`: its nonce
 * when it is valid and fresh, else `undefined`. Whether the nonce was seen before is the
 * caller's to check (see `KnockReplay`).
 */
export function checkKnock(
  knock: Buffer,
  keys: readonly Buffer[],
  now = Date.now(),
): Buffer | undefined {
  if (knock.length !== KNOCK_LENGTH) return undefined
  const nonce = knock.subarray(0, NONCE)
  const got = knock.subarray(NONCE)
  const step = Math.floor(now / KNOCK_STEP_MS)
  // The likeliest first: the current key, this step, then the steps around it. A knock that
  // does not verify costs every candidate, whatever it holds: its timing tells nothing.
  for (const key of keys) {
    for (let d = 0; d <= 2 * KNOCK_SKEW_STEPS; d++) {
      const s = step + (d % 2 === 0 ? d / 2 : -(d + 1) / 2)
      if (timingSafeEqual(tag(key, s, nonce), got)) return Buffer.from(nonce)
    }
  }
  return undefined
}

/**
 * The nonces of accepted knocks, each kept for {@link KNOCK_REPLAY_MS}, and at most `max` of
 * them: when that many are still fresh, new knocks are refused (closed, never a replay let in).
 */
export class KnockReplay {
  private readonly seen = new Map<string, number>()

  constructor(private readonly max = 100_000) {}

  /** True, and the nonce remembered, when it is new and there is room; false otherwise. */
  admit(nonce: Buffer, now = Date.now()): boolean {
    const id = nonce.toString('base64')
    if (this.seen.has(id)) {
      if (this.seen.get(id)! > now) return false
      this.seen.delete(id)
    }
    if (this.seen.size >= this.max) this.sweep(now)
    if (this.seen.size >= this.max) return false
    this.seen.set(id, now + KNOCK_REPLAY_MS)
    return true
  }

  /** Nonces remembered now. */
  get size(): number {
    return this.seen.size
  }

  /** Forgets expired nonces; they were added in time order, so they are at the front. */
  private sweep(now: number): void {
    for (const [id, until] of this.seen) {
      if (until > now) return
      this.seen.delete(id)
    }
  }
}
