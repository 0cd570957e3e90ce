import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { generateKeyPair, keyIdentifier, keyTypeOf } from './keys.js'
import { x509 } from './x509.js'

describe('generateKeyPair', () => {
  it('makes a P-256 PKCS#8 / SPKI pair by default', async () => {
    const { privateKeyPem, publicKeyPem } = await generateKeyPair()
    expect(privateKeyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
    expect(publicKeyPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/)
    const priv = createPrivateKey(privateKeyPem)
    expect(priv.asymmetricKeyType).toBe('ec')
    expect(priv.asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
    expect(createPublicKey(priv).equals(createPublicKey(publicKeyPem))).toBe(true)
  })

  it('makes an Ed25519 pair whose halves sign and verify', async () => {
    const { privateKeyPem, publicKeyPem } = await generateKeyPair('ed25519')
    expect(createPrivateKey(privateKeyPem).asymmetricKeyType).toBe('ed25519')
    const sig = sign(null, Buffer.from('hi'), privateKeyPem)
    expect(verify(null, Buffer.from('hi'), publicKeyPem, sig)).toBe(true)
  })

  it('never repeats a key', async () => {
    const a = await generateKeyPair()
    const b = await generateKeyPair()
    expect(a.privateKeyPem).not.toBe(b.privateKeyPem)
  })
})

describe('keyTypeOf', () => {
  it('accepts P-256 and Ed25519 only', () => {
    const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve })
    expect(keyTypeOf(ec('P-256').publicKey)).toBe('p256')
    expect(keyTypeOf(ec('P-256').privateKey)).toBe('p256')
    expect(keyTypeOf(generateKeyPairSync('ed25519').publicKey)).toBe('ed25519')
    expect(keyTypeOf(ec('P-384').publicKey)).toBeUndefined()
    expect(keyTypeOf(ec('secp256k1').publicKey)).toBeUndefined()
    expect(keyTypeOf(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)).toBeUndefined()
    expect(keyTypeOf(generateKeyPairSync('x25519').publicKey)).toBeUndefined()
    expect(keyTypeOf(generateKeyPairSync('ed448').publicKey)).toBeUndefined()
  })
})

describe('keyIdentifier', () => {
  it.each(['p256', 'ed25519'] as const)('is the RFC 5280 method 1 SHA-1 for %s', async (type) => {
    const { publicKeyPem } = await generateKeyPair(type)
    const key = createPublicKey(publicKeyPem)
    const spki = key.export({ type: 'spki', format: 'der' })
    const expected = await new x509.PublicKey(spki).getKeyIdentifier()
    expect(keyIdentifier(key)).toBe(Buffer.from(expected).toString('hex'))
    expect(keyIdentifier(key)).toMatch(/^[0-9a-f]{40}$/)
  })
})
