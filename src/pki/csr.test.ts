import { createPublicKey, generateKeyPairSync } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { createCsr, createKeyAndCsr, parseCsr } from './csr.js'
import { generateKeyPair } from './keys.js'
import { derToPem, pemToDer, toWebKeys } from './pki.test-util.js'
import { x509 } from './x509.js'

/** A CSR for `CN=<cn>` made directly with @peculiar/x509, for keys our API would never make. */
async function foreignCsr(opts: {
  keys: ReturnType<typeof generateKeyPairSync>
  importAlg: Parameters<typeof toWebKeys>[1]
  signAlg: object
  name?: string
}): Promise<string> {
  const keys = await toWebKeys(opts.keys, opts.importAlg)
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: opts.name ?? 'CN=x1',
    keys,
    signingAlgorithm: opts.signAlg,
  })
  return csr.toString('pem')
}

describe('createCsr / parseCsr', () => {
  it.each(['p256', 'ed25519'] as const)('round-trips a %s CSR', async (keyType) => {
    const { privateKeyPem, publicKeyPem } = await generateKeyPair(keyType)
    const csrPem = await createCsr({ commonName: 'x1', privateKeyPem, publicKeyPem })
    expect(csrPem).toMatch(
      /^-----BEGIN CERTIFICATE REQUEST-----\n[\s\S]+-----END CERTIFICATE REQUEST-----\n$/,
    )
    const parsed = await parseCsr(csrPem, { commonName: 'x1' })
    expect(parsed.keyType).toBe(keyType)
    expect(createPublicKey(parsed.publicKeyPem).equals(createPublicKey(publicKeyPem))).toBe(true)
  })

  it('createKeyAndCsr keeps the private key that matches the CSR', async () => {
    const { keyPem, csrPem } = await createKeyAndCsr({ commonName: 'abc_-9', keyType: 'ed25519' })
    const { publicKeyPem } = await parseCsr(csrPem, { commonName: 'abc_-9' })
    expect(createPublicKey(keyPem).equals(createPublicKey(publicKeyPem))).toBe(true)
  })

  it('keeps a common name with DN metacharacters as one CN', async () => {
    const { csrPem } = await createKeyAndCsr({ commonName: 'a,O=evil' })
    await expect(parseCsr(csrPem, { commonName: 'a,O=evil' })).resolves.toBeDefined()
    await expect(parseCsr(csrPem, { commonName: 'a' })).rejects.toMatchObject({
      code: 'ZH_CSR_SUBJECT_INVALID',
    })
  })

  it('refuses a public key that is not the half of the private key', async () => {
    const a = await generateKeyPair()
    const b = await generateKeyPair()
    await expect(
      createCsr({ commonName: 'x', privateKeyPem: a.privateKeyPem, publicKeyPem: b.publicKeyPem }),
    ).rejects.toMatchObject({ code: 'ZH_CSR_INVALID' })
  })
})

describe('parseCsr refusals', () => {
  it('RSA and P-384 keys: ZH_CSR_KEY_UNSUPPORTED', async () => {
    const rsa = await foreignCsr({
      keys: generateKeyPairSync('rsa', { modulusLength: 2048 }),
      importAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
      signAlg: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    })
    const p384 = await foreignCsr({
      keys: generateKeyPairSync('ec', { namedCurve: 'P-384' }),
      importAlg: { name: 'ECDSA', namedCurve: 'P-384' },
      signAlg: { name: 'ECDSA', hash: 'SHA-384' },
    })
    for (const csr of [rsa, p384]) {
      await expect(parseCsr(csr, { commonName: 'x1' })).rejects.toMatchObject({
        code: 'ZH_CSR_KEY_UNSUPPORTED',
      })
    }
  })

  it('a P-256 key signing with SHA-384: ZH_CSR_INVALID', async () => {
    const csr = await foreignCsr({
      keys: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      importAlg: { name: 'ECDSA', namedCurve: 'P-256' },
      signAlg: { name: 'ECDSA', hash: 'SHA-384' },
    })
    await expect(parseCsr(csr, { commonName: 'x1' })).rejects.toMatchObject({
      code: 'ZH_CSR_INVALID',
    })
  })

  it.each(['p256', 'ed25519'] as const)('a tampered %s CSR: ZH_CSR_INVALID', async (keyType) => {
    const { csrPem } = await createKeyAndCsr({ commonName: 'x1', keyType })
    await expect(parseCsr(csrPem, { commonName: 'x1' })).resolves.toBeDefined()
    // Change the subject inside the signed part: the signature no longer matches.
    const der = pemToDer(csrPem)
    const at = der.indexOf(Buffer.from('x1'))
    expect(at).toBeGreaterThan(0)
    const renamed = Buffer.from(der)
    renamed[at + 1] = '2'.charCodeAt(0)
    await expect(
      parseCsr(derToPem(renamed, 'CERTIFICATE REQUEST'), { commonName: 'x2' }),
    ).rejects.toMatchObject({ code: 'ZH_CSR_INVALID' })
    // Flip a bit of the signature itself.
    const flipped = Buffer.from(der)
    flipped[flipped.length - 2]! ^= 0x01
    await expect(
      parseCsr(derToPem(flipped, 'CERTIFICATE REQUEST'), { commonName: 'x1' }),
    ).rejects.toMatchObject({ code: 'ZH_CSR_INVALID' })
  })

  it('a wrong or extended subject: ZH_CSR_SUBJECT_INVALID', async () => {
    const { csrPem } = await createKeyAndCsr({ commonName: 'x1' })
    await expect(parseCsr(csrPem, { commonName: 'x2' })).rejects.toMatchObject({
      code: 'ZH_CSR_SUBJECT_INVALID',
    })
    const extended = await foreignCsr({
      keys: generateKeyPairSync('ec', { namedCurve: 'P-256' }),
      importAlg: { name: 'ECDSA', namedCurve: 'P-256' },
      signAlg: { name: 'ECDSA', hash: 'SHA-256' },
      name: 'CN=x1, O=admins',
    })
    await expect(parseCsr(extended, { commonName: 'x1' })).rejects.toMatchObject({
      code: 'ZH_CSR_SUBJECT_INVALID',
    })
  })

  it.each([
    ['an empty string', ''],
    ['garbage', 'hello'],
    ['a certificate label', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'],
    [
      'a broken body',
      '-----BEGIN CERTIFICATE REQUEST-----\nMIIB!!\n-----END CERTIFICATE REQUEST-----\n',
    ],
    ['valid base64 of junk', derToPem(Buffer.from('not asn.1 at all'), 'CERTIFICATE REQUEST')],
  ])('%s: ZH_CSR_INVALID', async (_what, pem) => {
    await expect(parseCsr(pem, { commonName: 'x1' })).rejects.toMatchObject({
      code: 'ZH_CSR_INVALID',
    })
  })

  it('more than 16 KiB, even of a valid CSR padded with blank lines: ZH_CSR_INVALID', async () => {
    const { csrPem } = await createKeyAndCsr({ commonName: 'x1' })
    await expect(parseCsr(csrPem + '\n'.repeat(1000), { commonName: 'x1' })).resolves.toBeDefined()
    await expect(
      parseCsr(csrPem + '\n'.repeat(16 * 1024), { commonName: 'x1' }),
    ).rejects.toMatchObject({
      code: 'ZH_CSR_INVALID',
    })
  })

  it('two CSRs in one PEM: ZH_CSR_INVALID', async () => {
    const a = await createKeyAndCsr({ commonName: 'x1' })
    const b = await createKeyAndCsr({ commonName: 'x1' })
    await expect(parseCsr(a.csrPem + b.csrPem, { commonName: 'x1' })).rejects.toMatchObject({
      code: 'ZH_CSR_INVALID',
    })
  })

  it('a non-string body: ZH_CSR_INVALID', async () => {
    await expect(parseCsr({} as string, { commonName: 'x1' })).rejects.toMatchObject({
      code: 'ZH_CSR_INVALID',
    })
  })
})
