import { createHmac, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fromBase64, fromHex, hmac, padKey, secretEqual, textDigestEqual } from './crypto.js'
import { readHeaders } from './headers.js'
import {
  ed25519PrivateKey,
  ed25519PublicKey,
  paddedHmacKey,
  rawPublicKey,
  standardSecretKey,
} from './keys.js'

// An asymmetric matcher for a thrown ZhError's code.
const code = (c: string): Error => expect.objectContaining({ code: c }) as Error

describe('strict decoding and comparison', () => {
  it('refuses what Node would silently skip', () => {
    expect(fromHex('abcd')).toEqual(Buffer.from([0xab, 0xcd]))
    for (const bad of ['abc', 'zz', 'ab cd', '']) expect(fromHex(bad)).toBeUndefined()
    expect(fromBase64('g0hM9SsE')).toHaveLength(6)
    for (const bad of ['g0hM9Ss', 'g0h!9SsE', 'g0hM9SsE=', '', 'Zm9v\nYmFy'])
      expect(fromBase64(bad)).toBeUndefined()
  })

  it('compares text digests as they are, and never truncates a character to a byte', () => {
    const hex = 'ab'.repeat(32)
    expect(textDigestEqual(hex, hex)).toBe(true)
    expect(textDigestEqual(hex, `${hex.slice(0, -1)}c`)).toBe(false)
    expect(textDigestEqual(hex, hex.slice(1))).toBe(false)
    // U+0161 and U+0162 end in the bytes of "a" and "b": they must not pass for them.
    expect(textDigestEqual(hex, '\u0161\u0162'.repeat(32))).toBe(false)
    const long = 'f'.repeat(200)
    expect(textDigestEqual(long, long)).toBe(true)
    expect(textDigestEqual(long, `${'f'.repeat(199)}\u0166`)).toBe(false)
  })

  it('compares secrets of any lengths', () => {
    expect(secretEqual('token', 'token')).toBe(true)
    expect(secretEqual('token', 'toke')).toBe(false)
    expect(secretEqual('token', 'tokens')).toBe(false)
    expect(secretEqual('', 'x')).toBe(false)
  })
})

describe('hmac', () => {
  const reference = (algorithm: string, key: Uint8Array, ...parts: (string | Uint8Array)[]) => {
    const mac = createHmac(algorithm, key)
    for (const part of parts) mac.update(part)
    return mac.digest()
  }

  it('gives what createHmac gives, for keys and messages around every size boundary', () => {
    for (const algorithm of ['sha1', 'sha256'] as const) {
      for (const keyLength of [1, 26, 63, 64, 65, 200]) {
        const key = randomBytes(keyLength)
        for (const size of [0, 1, 55, 56, 63, 64, 65, 1024, 16 * 1024, 16 * 1024 + 1, 70_000]) {
          const body = randomBytes(size)
          const expected = reference(algorithm, key, body)
          expect(hmac(algorithm, key, body)).toEqual(expected)
          expect(hmac(algorithm, padKey(key), body)).toEqual(expected)
        }
      }
    }
  })

  it('concatenates string (UTF-8) and byte parts', () => {
    const key = Buffer.from('k')
    const parts = ['msg_1', '.', '1700000000', '.', Buffer.from('{"é":"ü€😀"}'), 'tail ✓']
    expect(hmac('sha256', key, ...parts)).toEqual(reference('sha256', key, ...parts))
    expect(hmac('sha256', key)).toEqual(reference('sha256', key))
  })

  it('matches RFC 4231 test case 2', () => {
    const mac = hmac('sha256', Buffer.from('Jefe'), 'what do ya want for nothing?')
    expect(mac.toString('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    )
  })

  it('keeps the pads of string secrets only, and no more than 64 of them', () => {
    expect(paddedHmacKey('a secret')).toBe(paddedHmacKey('a secret'))
    const bytes = Buffer.from('a secret')
    expect(paddedHmacKey(bytes)).toBe(bytes)
    const first = paddedHmacKey('secret 0')
    for (let i = 1; i <= 64; i++) paddedHmacKey(`secret ${i}`)
    expect(paddedHmacKey('secret 0')).not.toBe(first)
    expect(() => paddedHmacKey('')).toThrow(code('ZH_WEBHOOK_SECRET_INVALID'))
  })
})

describe('keys', () => {
  it('takes Ed25519 KeyObjects, and refuses other key types', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519')
    expect(ed25519PrivateKey(privateKey)).toBe(privateKey)
    expect(ed25519PublicKey(publicKey)).toBe(publicKey)
    const derived = ed25519PublicKey(privateKey)
    const sig = sign(null, Buffer.from('m'), privateKey)
    expect(verify(null, Buffer.from('m'), derived, sig)).toBe(true)
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' })
    expect(() => ed25519PrivateKey(ec.privateKey)).toThrow(code('ZH_WEBHOOK_SECRET_INVALID'))
    expect(() => ed25519PublicKey(ec.publicKey)).toThrow(code('ZH_WEBHOOK_SECRET_INVALID'))
    expect(() => ed25519PrivateKey(publicKey)).toThrow(code('ZH_WEBHOOK_SECRET_INVALID'))
  })

  it('reads raw, hex and prefixed forms of one key alike', () => {
    const { publicKey } = generateKeyPairSync('ed25519')
    const raw = rawPublicKey(publicKey)
    for (const form of [raw, raw.toString('hex'), `whpk_${raw.toString('base64')}`]) {
      expect(rawPublicKey(ed25519PublicKey(form))).toEqual(raw)
    }
    for (const bad of ['whpk_AAAA', 'whpk_', Buffer.alloc(31), 'nothex']) {
      expect(() => ed25519PublicKey(bad)).toThrow(code('ZH_WEBHOOK_SECRET_INVALID'))
    }
  })

  it('accepts raw bytes as a Standard Webhooks secret', () => {
    const bytes = Buffer.alloc(24, 7)
    expect(standardSecretKey(bytes)).toBe(bytes)
    expect(standardSecretKey(`whsec_${bytes.toString('base64')}`)).toEqual(bytes)
  })
})

describe('headers', () => {
  it('limits every header it reads, and refuses non-objects', () => {
    const headers = readHeaders({ a: 'x'.repeat(11), b: ['1', '2'], c: 5 }, 10)
    expect(() => headers.optional('A')).toThrow(code('ZH_WEBHOOK_HEADER_TOO_LARGE'))
    expect(() => headers.optional('b')).toThrow(code('ZH_WEBHOOK_HEADER_MALFORMED'))
    expect(headers.required('C')).toBe('5')
    expect(() => headers.required('d')).toThrow(code('ZH_WEBHOOK_HEADER_MISSING'))
    expect(() => readHeaders('a: b' as never, 10)).toThrow(code('ZH_WEBHOOK_OPTIONS_INVALID'))
  })

  it('finds a name in any spelling, and two spellings of it are a duplicate', () => {
    const headers = readHeaders({ 'X-Sig': 'a', 'x-id': 'i', 'X-ID': undefined }, 100)
    expect(headers.required('x-sig')).toBe('a')
    expect(headers.required('X-Id')).toBe('i')
    expect(headers.has('X-SIG')).toBe(true)
    expect(headers.has('other')).toBe(false)
    const twice = readHeaders({ 'X-Sig': 'a', 'x-sig': 'b' }, 100)
    expect(() => twice.optional('x-sig')).toThrow(code('ZH_WEBHOOK_HEADER_MALFORMED'))
    const fetched = readHeaders(new Headers({ 'X-Sig': 'a, b', 'x-id': 'i' }), 100)
    expect(fetched.required('X-ID')).toBe('i')
    expect(() => fetched.optional('x-sig', { noComma: true })).toThrow(
      code('ZH_WEBHOOK_HEADER_MALFORMED'),
    )
  })
})
