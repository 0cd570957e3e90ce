import { describe, expect, it } from 'vitest'
import { createMemoryReplayStore } from '../replay/memory.js'
import { verifyWebhook } from '../verify.js'
import {
  ID,
  T0,
  driver,
  expectCode,
  omit,
  replace,
  valueOf,
  type SchemeFixture,
} from './compliance-driver.test-util.js'

export {
  T0,
  ed25519Pair,
  expectCode,
  omit,
  type SchemeFixture,
} from './compliance-driver.test-util.js'

/**
 * The compliance suite every scheme passes: round trip, tampering, wrong and rotated secrets,
 * stale and future times, missing, malformed and duplicated headers, empty and oversized
 * bodies, header limits, and replay. A scheme's test file is a fixture and a call.
 */
export function runCompliance(f: SchemeFixture): void {
  const [a, b] = f.materials
  const { timed, tolerance, bodyOf, sign, verifierOf, verify, signed } = driver(f)

  describe(`${f.scheme}${f.label ? ` (${f.label})` : ''} compliance`, () => {
    it('round-trips: what it signs, it verifies', async () => {
      const { headers, body } = signed()
      const result = await verify(headers, body)
      expect(result.scheme).toBe(f.scheme)
      if (f.idHeader || f.idInBody) expect(result.id).toBe(ID)
      else expect(result.id).toMatch(/^sha256:[0-9a-f]{64}$/)
      expect(result.timestamp).toBe(timed ? T0 : null)
    })

    it('reads header names case-insensitively, from objects and Headers', async () => {
      const { headers, body } = signed()
      const entries = Object.entries(headers)
      const upper = Object.fromEntries(entries.map(([k, v]) => [k.toUpperCase(), v]))
      const lower = Object.fromEntries(entries.map(([k, v]) => [k.toLowerCase(), v]))
      await expect(verify(upper, body)).resolves.toMatchObject({ scheme: f.scheme })
      await expect(verify(new Headers(lower), body)).resolves.toMatchObject({ scheme: f.scheme })
    })

    const tamperTitle = f.bodyUnsigned
      ? 'does not sign the body (a known limit)'
      : 'rejects a tampered body'
    it(tamperTitle, async () => {
      const { headers, body } = signed()
      const tampered = Buffer.from(body)
      tampered[tampered.length - 2]! ^= 1
      if (f.bodyUnsigned) await expect(verify(headers, tampered)).resolves.toBeTruthy()
      else await expectCode(verify(headers, tampered), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    })

    it('rejects the wrong secret', async () => {
      const { headers, body } = signed()
      await expectCode(verify(headers, body, verifierOf([b])), 'ZH_WEBHOOK_SIGNATURE_INVALID')
    })

    it('accepts old and new secrets during rotation', async () => {
      const body = bodyOf()
      const both = verifierOf([a, b])
      await expect(verify(sign([a], body), body, both)).resolves.toBeTruthy()
      await expect(verify(sign([b], body), body, both)).resolves.toBeTruthy()
      if (f.multiSign) {
        const headers = sign([a, b], body)
        await expect(verify(headers, body, verifierOf([b]))).resolves.toBeTruthy()
        await expect(verify(headers, body, verifierOf([a]))).resolves.toBeTruthy()
      }
    })

    if (timed) {
      it('rejects stale and future timestamps, accepts the edges', async () => {
        const { headers, body } = signed()
        const at = (now: number | Date, more = {}) => verify(headers, body, { now, ...more })
        await expectCode(at(T0 + tolerance + 1), 'ZH_WEBHOOK_TIMESTAMP_STALE')
        await expectCode(at(T0 - tolerance - 1), 'ZH_WEBHOOK_TIMESTAMP_FUTURE')
        await expect(at(T0 + tolerance)).resolves.toBeTruthy()
        await expect(at(new Date((T0 - tolerance) * 1000))).resolves.toBeTruthy()
        await expectCode(at(T0 + 3, { tolerance: 2 }), 'ZH_WEBHOOK_TIMESTAMP_STALE')
      })
    } else {
      it('signs no time, so the clock does not matter', async () => {
        const { headers, body } = signed()
        await expect(verify(headers, body, { now: T0 + 10 * 365 * 86400 })).resolves.toBeTruthy()
      })
    }

    it('rejects missing headers', async () => {
      const { headers, body } = signed()
      const missing = [f.signatureHeader, f.timestampHeader, f.idSigned ? f.idHeader : undefined]
      for (const name of missing) {
        if (name === undefined) continue
        await expectCode(verify(omit(headers, name), body), 'ZH_WEBHOOK_HEADER_MISSING')
        await expectCode(verify(replace(headers, name, ''), body), 'ZH_WEBHOOK_HEADER_MISSING')
      }
    })

    it('rejects malformed and truncated headers', async () => {
      const { headers, body } = signed()
      const garbage = replace(headers, f.signatureHeader, 'not a signature')
      await expectCode(verify(garbage, body), f.garbageCode)
      const cut = replace(
        headers,
        f.signatureHeader,
        valueOf(headers, f.signatureHeader).slice(0, -4),
      )
      await expectCode(verify(cut, body), 'ZH_WEBHOOK_SIGNATURE_INVALID')
      if (f.timestampHeader) {
        const junk = replace(headers, f.timestampHeader, '1614265330abc')
        await expectCode(verify(junk, body), 'ZH_WEBHOOK_TIMESTAMP_INVALID')
      }
      if (f.idHeader) {
        await expectCode(
          verify(replace(headers, f.idHeader, 'a b'), body),
          'ZH_WEBHOOK_HEADER_MALFORMED',
        )
      }
    })

    it('rejects duplicated headers', async () => {
      const { headers, body } = signed()
      for (const name of [f.signatureHeader, f.timestampHeader, f.idHeader]) {
        if (name === undefined) continue
        const value = valueOf(headers, name)
        const twice = replace(headers, name, [value, value])
        await expectCode(verify(twice, body), 'ZH_WEBHOOK_HEADER_MALFORMED')
        const twoSpellings = { ...replace(headers, name, value), [name.toUpperCase()]: value }
        await expectCode(verify(twoSpellings, body), 'ZH_WEBHOOK_HEADER_MALFORMED')
      }
      const sig = valueOf(headers, f.signatureHeader)
      const joined = replace(headers, f.signatureHeader, `${sig}, ${sig}`)
      await expectCode(verify(joined, body), f.commaJoinedCode ?? 'ZH_WEBHOOK_HEADER_MALFORMED')
      if (f.timestampHeader) {
        const stamps = replace(headers, f.timestampHeader, `${T0}, ${T0}`)
        await expectCode(verify(stamps, body), 'ZH_WEBHOOK_HEADER_MALFORMED')
      }
    })

    it('handles an empty body', async () => {
      const empty = Buffer.alloc(0)
      const attempt = verify(sign([a], empty), empty)
      if (f.emptyBodyCode) await expectCode(attempt, f.emptyBodyCode)
      else await expect(attempt).resolves.toBeTruthy()
      if (!f.bodyUnsigned) {
        await expectCode(verify(sign([a], bodyOf()), empty), 'ZH_WEBHOOK_SIGNATURE_INVALID')
      }
    })

    it('caps the body size before hashing', async () => {
      const limit = 400
      const base = bodyOf().length
      const atLimit = bodyOf(T0, 'x'.repeat(limit - base))
      expect(atLimit.length).toBe(limit)
      const capped = { maxBodyBytes: limit }
      await expect(verify(sign([a], atLimit), atLimit, capped)).resolves.toBeTruthy()
      const over = bodyOf(T0, 'x'.repeat(limit - base + 1))
      await expectCode(verify(sign([a], over), over, capped), 'ZH_WEBHOOK_BODY_TOO_LARGE')
      const huge = Buffer.alloc(1024 * 1024 + 1, 0x20)
      await expectCode(verify({}, huge), 'ZH_WEBHOOK_BODY_TOO_LARGE')
    })

    it('caps header lengths, refuses non-byte bodies and a missing secret', async () => {
      const { headers, body } = signed()
      const long = replace(headers, f.signatureHeader, 'v'.repeat(5000))
      await expectCode(verify(long, body), 'ZH_WEBHOOK_HEADER_TOO_LARGE')
      const text = body.toString() as unknown as Uint8Array
      await expectCode(verify(headers, text), 'ZH_WEBHOOK_BODY_NOT_RAW')
      const bare = verifyWebhook({ scheme: f.scheme, headers, body })
      await expectCode(bare, 'ZH_WEBHOOK_OPTIONS_INVALID')
    })

    it('refuses a replay, and remembers only verified messages', async () => {
      const replay = createMemoryReplayStore()
      const { headers, body } = signed()
      const forged = { replay, ...verifierOf([b]) }
      await expectCode(verify(headers, body, forged), 'ZH_WEBHOOK_SIGNATURE_INVALID')
      const first = await verify(headers, body, { replay })
      expect(first.replayKeys.length).toBeGreaterThan(0)
      await expectCode(verify(headers, body, { replay }), 'ZH_WEBHOOK_REPLAYED')
      if (f.idHeader && !f.idSigned) {
        const renamed = replace(headers, f.idHeader, 'another-delivery-id')
        await expectCode(verify(renamed, body, { replay }), 'ZH_WEBHOOK_REPLAYED')
      }
      const other = bodyOf(T0, 'other', 'msg_other')
      const next = verify(sign([a], other, T0, 'msg_other'), other, { replay })
      await expect(next).resolves.toBeTruthy()
    })
  })
}
