import { createPublicKey } from 'node:crypto'
import type { ConnectionOptions, TlsOptions } from 'node:tls'
import { beforeAll, describe, expect, it } from 'vitest'
import { createCa, type CertifiedKey } from './ca.js'
import { issueKeyAndCertificate } from './issue.js'
import type { KeyType } from './keys.js'
import { customLeaf, handshake } from './pki.test-util.js'
import { principalUri } from './uri.js'
import { checkServerPrincipal, verifyCertificate } from './verify.js'
import { x509 } from './x509.js'

/** Real TLS 1.3 between issued certificates, as routers and endpoints will use them. */
describe.each([
  ['p256', 'p256'],
  ['ed25519', 'ed25519'],
  ['ed25519', 'p256'],
] as const)('mutual TLS 1.3, %s CA, %s leaves', (caType: KeyType, leafType: KeyType) => {
  let ca: CertifiedKey
  let stranger: CertifiedKey
  let server: TlsOptions
  let client: ConnectionOptions

  beforeAll(async () => {
    ca = await createCa({ network: 'acme', keyType: caType })
    stranger = await createCa({ network: 'acme', keyType: caType })
    const r1 = await issueKeyAndCertificate({
      ca,
      keyType: leafType,
      commonName: 'r1',
      uri: principalUri('acme', 'router', 'r1'),
    })
    const x1 = await issueKeyAndCertificate({
      ca,
      keyType: leafType,
      commonName: 'x1',
      uri: principalUri('acme', 'identity', 'x1'),
    })
    const tls13 = { minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' } as const
    server = {
      ...tls13,
      key: r1.keyPem,
      cert: r1.certPem,
      ca: ca.certPem,
      requestCert: true,
      rejectUnauthorized: true,
    }
    client = {
      ...tls13,
      key: x1.keyPem,
      cert: x1.certPem,
      ca: ca.certPem,
      rejectUnauthorized: true,
      checkServerIdentity: checkServerPrincipal({ network: 'acme', kind: 'router', id: 'r1' }),
    }
  })

  it('authenticates both ends and carries data', async () => {
    const result = await handshake(server, client)
    expect(result).toMatchObject({ ok: true })
    if (!result.ok) return
    expect(result.protocol).toBe('TLSv1.3')
    expect(result.echoed).toBe('z')
    const seenByServer = verifyCertificate(result.clientCert!, ca.certPem, { eku: 'clientAuth' })
    expect(seenByServer.principal).toEqual({ network: 'acme', kind: 'identity', id: 'x1' })
    const seenByClient = verifyCertificate(result.serverCert!, ca.certPem, { eku: 'serverAuth' })
    expect(seenByClient.principal).toEqual({ network: 'acme', kind: 'router', id: 'r1' })
  })

  it('the client refuses a valid server naming another principal', async () => {
    const wrong = checkServerPrincipal({ network: 'acme', kind: 'controller' })
    const result = await handshake(server, { ...client, checkServerIdentity: wrong })
    expect(result).toMatchObject({ ok: false, clientError: { code: 'ZH_SERVER_IDENTITY_INVALID' } })
  })

  it('the client refuses a server of another CA', async () => {
    const impostor = await issueKeyAndCertificate({
      ca: stranger,
      keyType: leafType,
      commonName: 'r1',
      uri: principalUri('acme', 'router', 'r1'),
    })
    const result = await handshake(
      { ...server, key: impostor.keyPem, cert: impostor.certPem },
      client,
    )
    expect(result).toMatchObject({
      ok: false,
      clientError: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    })
  })

  it('the server refuses a client of another CA', async () => {
    const impostor = await issueKeyAndCertificate({
      ca: stranger,
      keyType: leafType,
      commonName: 'x1',
      uri: principalUri('acme', 'identity', 'x1'),
    })
    const result = await handshake(server, {
      ...client,
      key: impostor.keyPem,
      cert: impostor.certPem,
    })
    // Node's server destroys the socket after the handshake without an alert or a specific error:
    // what matters is that the connection handler never ran and no data went through.
    expect(result).toMatchObject({ ok: false, accepted: false })
  })

  it('the server refuses a client without a certificate', async () => {
    const result = await handshake(server, { ...client, key: undefined, cert: undefined })
    expect(result).toMatchObject({
      ok: false,
      accepted: false,
      serverError: { code: 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE' },
    })
  })
})

/** OpenSSL checks the EKU of the peer's chain on both sides (DESIGN §2 relies on it). */
describe('EKU enforcement in TLS', () => {
  let ca: CertifiedKey
  let r1: Awaited<ReturnType<typeof issueKeyAndCertificate>>
  let x1: Awaited<ReturnType<typeof issueKeyAndCertificate>>
  beforeAll(async () => {
    ca = await createCa({ network: 'acme' })
    r1 = await issueKeyAndCertificate({
      ca,
      commonName: 'r1',
      uri: principalUri('acme', 'router', 'r1'),
    })
    x1 = await issueKeyAndCertificate({
      ca,
      commonName: 'x1',
      uri: principalUri('acme', 'identity', 'x1'),
    })
  })

  /** The certificate of `holder`'s key, re-issued with one EKU only. */
  const withEku = async (holder: typeof r1, uri: string, eku: x509.ExtendedKeyUsage) =>
    customLeaf(
      ca,
      [
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([eku]),
        new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }]),
      ],
      {
        publicKeyPem: createPublicKey(holder.keyPem).export({
          type: 'spki',
          format: 'pem',
        }) as string,
      },
    )

  it('a client refuses a server certificate without serverAuth', async () => {
    const uri = principalUri('acme', 'router', 'r1')
    const cert = await withEku(r1, uri, x509.ExtendedKeyUsage.clientAuth)
    const result = await handshake(
      { key: r1.keyPem, cert, ca: ca.certPem, requestCert: true, rejectUnauthorized: true },
      {
        key: x1.keyPem,
        cert: x1.certPem,
        ca: ca.certPem,
        rejectUnauthorized: true,
        checkServerIdentity: checkServerPrincipal({ network: 'acme', kind: 'router' }),
      },
    )
    expect(result).toMatchObject({
      ok: false,
      clientError: { code: 'INVALID_PURPOSE' },
    })
  })

  it('a server refuses a client certificate without clientAuth', async () => {
    const uri = principalUri('acme', 'identity', 'x1')
    const cert = await withEku(x1, uri, x509.ExtendedKeyUsage.serverAuth)
    const result = await handshake(
      {
        key: r1.keyPem,
        cert: r1.certPem,
        ca: ca.certPem,
        requestCert: true,
        rejectUnauthorized: true,
      },
      {
        key: x1.keyPem,
        cert,
        ca: ca.certPem,
        rejectUnauthorized: true,
        checkServerIdentity: checkServerPrincipal({ network: 'acme', kind: 'router' }),
      },
    )
    expect(result).toMatchObject({ ok: false, accepted: false })
  })
})
