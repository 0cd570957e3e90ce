import { generateKeyPairSync } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { ZhCode } from '../../errors.js'
import { createKeyAndCsr } from '../../pki/csr.js'
import { requestJson } from '../../sdk/controller-client.js'
import { enrollWithToken } from '../../sdk/enroll.js'
import { describeStores } from '../store/pg.test-util.js'
import { startTestController, type TestController } from '../controller.test-util.js'
import { signEnrollToken } from '../enrollment/token.js'
import { insertEnrollment } from '../model/enrollments.js'
import { loadSigningKey } from '../signing-key.js'
import { createIdentity } from './identities.js'
import { enroll } from './enroll.js'
import { codeOf } from '../../errors.test-util.js'
import { closedUrl } from '../../sdk/controller-pool.test-util.js'

describeStores('enrollment refuses bad input and changes nothing', (store) => {
  let c: TestController
  let other: TestController

  beforeAll(async () => {
    c = await startTestController({ ...store, network: 'alpha' })
    other = await startTestController({ ...store, network: 'beta' })
  })
  afterAll(async () => {
    await c.stop()
    await other.stop()
  })

  async function fresh(name: string) {
    const { identity, enrollment } = await createIdentity(c.ctx, { name })
    return { id: identity.id, token: enrollment.token }
  }

  async function expectRefused(call: () => Promise<unknown>, code: ZhCode) {
    const before = await c.dump()
    expect(await codeOf(call())).toBe(code)
    expect(await c.dump()).toEqual(before)
  }

  it('enrolls once with a good token, then refuses the same token', async () => {
    const { token } = await fresh('ok-1')
    const identity = await enrollWithToken(token)
    expect(identity.name).toBe('ok-1')
    expect(identity.network).toBe('alpha')
    await expectRefused(() => enrollWithToken(token), 'ZH_ENROLL_TOKEN_USED')
  })

  it('refuses an expired token', async () => {
    const { id } = await fresh('expired')
    const signed = await signEnrollToken(
      c.ctx.signingKey,
      { url: c.url, caf: c.ctx.caFingerprint, net: 'alpha', sub: id, em: 'identity' },
      -10,
    )
    await insertEnrollment(c.ctx.db, {
      jti: signed.jti,
      principalId: id,
      principalKind: 'identity',
      expiresAt: signed.expiresAt,
    })
    const { csrPem } = await createKeyAndCsr({ commonName: id })
    await expectRefused(
      () => enroll(c.ctx, { token: signed.token, csr: csrPem }),
      'ZH_ENROLL_TOKEN_EXPIRED',
    )
  })

  it('refuses a token forged with another key', async () => {
    const { id } = await fresh('forged')
    const forger = loadSigningKey(
      generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    )
    const signed = await signEnrollToken(forger, {
      url: c.url,
      caf: c.ctx.caFingerprint,
      net: 'alpha',
      sub: id,
      em: 'identity',
    })
    await insertEnrollment(c.ctx.db, {
      jti: signed.jti,
      principalId: id,
      principalKind: 'identity',
      expiresAt: signed.expiresAt,
    })
    const { csrPem } = await createKeyAndCsr({ commonName: id })
    await expectRefused(
      () => enroll(c.ctx, { token: signed.token, csr: csrPem }),
      'ZH_ENROLL_TOKEN_INVALID',
    )
    // The client checks the signature too, before it sends anything.
    await expectRefused(() => enrollWithToken(signed.token), 'ZH_ENROLL_TOKEN_INVALID')
  })

  it("refuses another network's token", async () => {
    const { enrollment, identity } = await createIdentity(other.ctx, { name: 'elsewhere' })
    const { csrPem } = await createKeyAndCsr({ commonName: identity.id })
    await expectRefused(
      () => enroll(c.ctx, { token: enrollment.token, csr: csrPem }),
      'ZH_ENROLL_NETWORK_MISMATCH',
    )
  })

  it('enrolls at the next replica the token names when the one that issued it is down', async () => {
    const { id } = await fresh('failover')
    const down = await closedUrl()
    const signed = await signEnrollToken(c.ctx.signingKey, {
      url: down,
      urls: [down, c.url],
      caf: c.ctx.caFingerprint,
      net: 'alpha',
      sub: id,
      em: 'identity',
    })
    await insertEnrollment(c.ctx.db, {
      jti: signed.jti,
      principalId: id,
      principalKind: 'identity',
      expiresAt: signed.expiresAt,
    })
    const identity = await enrollWithToken(signed.token)
    expect(identity.id).toBe(id)
    expect(identity.controller).toBe(c.url)
    // The same token again: used, whichever replica is asked.
    await expectRefused(() => enrollWithToken(signed.token), 'ZH_ENROLL_TOKEN_USED')
  })

  it('refuses a CA bundle that does not match the token fingerprint (wrong controller)', async () => {
    const { token, id } = await fresh('redirected')
    // Same token claims, but pointing at the other network's controller.
    const claims = {
      url: other.url,
      caf: c.ctx.caFingerprint,
      net: 'alpha',
      sub: id,
      em: 'identity' as const,
    }
    const redirected = await signEnrollToken(c.ctx.signingKey, claims)
    await expectRefused(() => enrollWithToken(redirected.token), 'ZH_CA_FINGERPRINT_MISMATCH')
    expect(token).not.toBe(redirected.token)
  })

  it('refuses malformed CSRs, wrong subjects and unsupported keys, leaving the token usable', async () => {
    const { id, token } = await fresh('csr-checks')
    await expectRefused(() => enroll(c.ctx, { token, csr: 'not a csr' }), 'ZH_CSR_INVALID')
    const wrong = await createKeyAndCsr({ commonName: 'someone-else' })
    await expectRefused(() => enroll(c.ctx, { token, csr: wrong.csrPem }), 'ZH_CSR_SUBJECT_INVALID')
    const rsa = await rsaCsr(id)
    await expectRefused(() => enroll(c.ctx, { token, csr: rsa }), 'ZH_CSR_KEY_UNSUPPORTED')
    const good = await createKeyAndCsr({ commonName: id })
    const result = await enroll(c.ctx, { token, csr: good.csrPem })
    expect(result.id).toBe(id)
  })

  it('refuses enrollment of a disabled or deleted identity', async () => {
    const { token } = await fresh('to-disable')
    await c.ctx.db.run("UPDATE identities SET disabled = 1 WHERE name = 'to-disable'")
    await expectRefused(() => enrollWithToken(token), 'ZH_IDENTITY_DISABLED')
  })

  it('answers 413 with ZH_BODY_TOO_LARGE to an oversized body', async () => {
    const before = await c.dump()
    const huge = { token: 'x'.repeat(200 * 1024), csr: 'y' }
    expect(
      await codeOf(
        requestJson(
          c.url,
          { mode: 'unverified' },
          { method: 'POST', path: '/v1/enroll', body: huge },
        ),
      ),
    ).toBe('ZH_BODY_TOO_LARGE')
    expect(await c.dump()).toEqual(before)
  })

  it('writes the CA bundle the token names into the identity file', async () => {
    const { token } = await fresh('bundle')
    const identity = await enrollWithToken(token)
    expect(identity.ca).toBe(await readFile(join(c.dir, 'ca.pem'), 'utf8'))
  })
})

async function rsaCsr(commonName: string): Promise<string> {
  const x509 = await import('@peculiar/x509')
  const { webcrypto } = await import('node:crypto')
  const alg = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    publicExponent: new Uint8Array([1, 0, 1]),
    modulusLength: 2048,
  }
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: alg,
  })
  return csr.toString('pem')
}
