import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  checkKnock,
  KNOCK_LENGTH,
  KNOCK_REPLAY_MS,
  KNOCK_SKEW_STEPS,
  KNOCK_STEP_MS,
  knockKeys,
  KnockReplay,
  makeKnock,
  TLS_HANDSHAKE,
} from './knock.js'

const key = randomBytes(32)
const previous = randomBytes(32)
// Frozen: the middle of a time step.
const now = 1_800_000_000_000 + KNOCK_STEP_MS / 2

describe('knock tokens', () => {
  it('are 32 bytes that never look like a TLS record, different every time', () => {
    const knocks = Array.from({ length: 2000 }, () => makeKnock(key, now))
    for (const k of knocks) {
      expect(k.length).toBe(KNOCK_LENGTH)
      expect(k[0]).not.toBe(TLS_HANDSHAKE)
    }
    expect(new Set(knocks.map((k) => k.toString('hex'))).size).toBe(knocks.length)
  })

  it('verify under the current or the previous key, and give the nonce', () => {
    const k = makeKnock(key, now)
    expect(checkKnock(k, [key, previous], now)).toEqual(k.subarray(0, 16))
    expect(checkKnock(makeKnock(previous, now), [key, previous], now)).toBeDefined()
  })

  it('do not verify under another key, tampered with, or cut short', () => {
    const k = makeKnock(key, now)
    expect(checkKnock(k, [previous], now)).toBeUndefined()
    expect(checkKnock(k, [], now)).toBeUndefined()
    for (const at of [0, 20, 31]) {
      const bad = Buffer.from(k)
      bad[at]! ^= 1
      expect(checkKnock(bad, [key], now)).toBeUndefined()
    }
    expect(checkKnock(k.subarray(0, 31), [key], now)).toBeUndefined()
  })

  it('are fresh for the skew either side of the time step, and stale past it', () => {
    const skew = KNOCK_SKEW_STEPS * KNOCK_STEP_MS
    expect(checkKnock(makeKnock(key, now - skew), [key], now)).toBeDefined()
    expect(checkKnock(makeKnock(key, now + skew), [key], now)).toBeDefined()
    expect(checkKnock(makeKnock(key, now - skew - KNOCK_STEP_MS), [key], now)).toBeUndefined()
    expect(checkKnock(makeKnock(key, now + skew + KNOCK_STEP_MS), [key], now)).toBeUndefined()
  })

  it('decode keys as the controller hands them out, skipping malformed ones', () => {
    const encoded = key.toString('base64url')
    expect(knockKeys([encoded, 'short', 7 as unknown as string])).toEqual([key])
    expect(knockKeys(undefined)).toEqual([])
  })
})

describe('KnockReplay', () => {
  it('lets a nonce in once while a knock with it could be fresh, and again after', () => {
    const replay = new KnockReplay()
    const nonce = randomBytes(16)
    expect(replay.admit(nonce, now)).toBe(true)
    expect(replay.admit(nonce, now + 1000)).toBe(false)
    expect(replay.admit(nonce, now + KNOCK_REPLAY_MS - 1)).toBe(false)
    // By then no knock with it verifies any more; remembering it longer is not needed.
    expect(replay.admit(nonce, now + KNOCK_REPLAY_MS + 1)).toBe(true)
  })

  it('remembers at most `max` nonces: refuses new ones while all are fresh, forgets the stale', () => {
    const replay = new KnockReplay(3)
    for (let i = 0; i < 3; i++) expect(replay.admit(randomBytes(16), now)).toBe(true)
    expect(replay.admit(randomBytes(16), now + 1)).toBe(false)
    expect(replay.size).toBe(3)
    expect(replay.admit(randomBytes(16), now + KNOCK_REPLAY_MS + 1)).toBe(true)
    expect(replay.size).toBe(1)
  })
})
