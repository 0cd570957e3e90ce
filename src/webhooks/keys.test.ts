import { generateKeyPairSync, sign, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { fromBase64, fromHex, secretEqual } from './crypto.js'
import { readHeaders } from './headers.js'
import { ed25519PrivateKey, ed25519PublicKey, rawPublicKey, standardSecretKey } from './keys.js'

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

  it('compares secrets of any lengths', () => {
    expect(secretEqual('token', 'token')).toBe(true)
    expect(secretEqual('token', 'toke')).toBe(false)
    expect(secretEqual('token', 'tokens')).toBe(false)
    expect(secretEqual('', 'x')).toBe(false)
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
})
