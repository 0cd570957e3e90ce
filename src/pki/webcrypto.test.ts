import { generateKeyPairSync, verify, webcrypto } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { generateKeyPair } from './keys.js'
import { describeKey, importSigningKey, importVerifyKey, signingAlgorithm } from './webcrypto.js'

describe('importSigningKey', () => {
  it.each(['p256', 'ed25519'] as const)('signs with the right algorithm for %s', async (type) => {
    const { privateKeyPem, publicKeyPem } = await generateKeyPair(type)
    const key = await importSigningKey(privateKeyPem)
    expect(key.type).toBe(type)
    expect(key.privateKey.extractable).toBe(false)
    const data = Buffer.from('data')
    const sig = Buffer.from(
      await webcrypto.subtle.sign(signingAlgorithm[type], key.privateKey, data),
    )
    const ok =
      type === 'p256'
        ? verify('sha256', data, { key: publicKeyPem, dsaEncoding: 'ieee-p1363' }, sig)
        : verify(null, data, publicKeyPem, sig)
    expect(ok).toBe(true)
    const verifier = await importVerifyKey(key.publicKey)
    expect(await webcrypto.subtle.verify(signingAlgorithm[type], verifier, sig, data)).toBe(true)
  })

  it('refuses other key types and non-keys', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 })
    const pem = rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string
    await expect(importSigningKey(pem)).rejects.toMatchObject({ code: 'ZH_CSR_KEY_UNSUPPORTED' })
    await expect(importVerifyKey(rsa.publicKey)).rejects.toMatchObject({
      code: 'ZH_CSR_KEY_UNSUPPORTED',
    })
    await expect(importSigningKey('not a key')).rejects.toMatchObject({ code: 'ZH_FILE_INVALID' })
  })

  it('describes keys for error messages', () => {
    expect(describeKey(generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey)).toBe(
      'rsa 2048',
    )
    expect(describeKey(generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey)).toBe(
      'ec secp384r1',
    )
  })
})
