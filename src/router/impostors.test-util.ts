import { webcrypto } from 'node:crypto'
import { createCa, type CertifiedKey } from '../pki/ca.js'
import { issueKeyAndCertificate } from '../pki/issue.js'
import { generateKeyPair } from '../pki/keys.js'
import { randomSerial } from '../pki/serial.js'
import { loadIssuer } from '../pki/signer.js'
import { principalUri } from '../pki/uri.js'
import { signingAlgorithm } from '../pki/webcrypto.js'
import { x509 } from '../pki/x509.js'
import { createRouter } from '../controller/ops/routers.js'
import { enrollWithToken } from '../sdk/enroll.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import type { RouterBed } from './router.test-util.js'

/** A client certificate and its key, PEM. */
export interface Credentials {
  cert: string
  key: string
}

const DAY = 86_400_000
let routers = 0

/**
 * A leaf for `uri` with exactly the extended key usages given, signed by `ca` (or by its own
 * key when `ca` is undefined): the certificates `issueCertificate` refuses to make.
 */
export async function leaf(
  ca: { certPem: string; keyPem: string } | undefined,
  uri: string,
  usages: string[],
): Promise<Credentials> {
  const { privateKeyPem, publicKeyPem } = await generateKeyPair()
  const spki = new x509.PublicKey(publicKeyPem)
  const extensions = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
    new x509.SubjectAlternativeNameExtension([{ type: 'url', value: uri }], false),
  ]
  const window = { notBefore: new Date(Date.now() - 60_000), notAfter: new Date(Date.now() + DAY) }
  const name = 'CN=impostor'
  let cert: x509.X509Certificate
  if (ca) {
    const issuer = await loadIssuer(ca)
    cert = await x509.X509CertificateGenerator.create({
      serialNumber: randomSerial(),
      subject: name,
      issuer: issuer.cert.subjectName,
      ...window,
      publicKey: spki,
      signingKey: issuer.key.privateKey,
      signingAlgorithm: signingAlgorithm[issuer.key.type],
      extensions,
    })
  } else {
    const { subtle } = webcrypto
    const alg = { name: 'ECDSA', namedCurve: 'P-256' }
    const der = (pem: string) => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')
    const keys = {
      privateKey: await subtle.importKey('pkcs8', der(privateKeyPem), alg, true, ['sign']),
      publicKey: await subtle.importKey('spki', der(publicKeyPem), alg, true, ['verify']),
    }
    cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: randomSerial(),
      name,
      ...window,
      keys,
      signingAlgorithm: signingAlgorithm.p256,
      extensions,
    })
  }
  return { cert: cert.toString('pem'), key: privateKeyPem }
}

/** A client the router must refuse: what it is, its credentials, the router's metrics reason. */
export type Impostor = [
  what: string,
  credentials: () => Promise<Credentials | undefined>,
  reason: string,
]

/**
 * Every kind of client certificate the router's edge refuses (a revoked one aside: revoking
 * takes a live identity). The impostors claim the victim's own principal: only the certificate
 * itself is wrong. `ctx` is read when a certificate is made (the list is wanted before the bed
 * is up, to name the tests).
 */
export function impostors(ctx: () => { bed: RouterBed; victim: IdentityFile }): Impostor[] {
  const uri = () => principalUri(ctx().victim.network, 'identity', ctx().victim.id)
  const usages = [x509.ExtendedKeyUsage.clientAuth, x509.ExtendedKeyUsage.serverAuth]
  const issued = async (opts: { now?: Date; days?: number; ca?: CertifiedKey }) => {
    const c = await issueKeyAndCertificate({
      ca: opts.ca ?? ctx().bed.c.ctx.ca,
      commonName: ctx().victim.id,
      uri: uri(),
      now: opts.now,
      days: opts.days,
    })
    return { cert: c.certPem, key: c.keyPem }
  }
  return [
    ['no client certificate', async () => undefined, 'no-certificate'],
    [
      'a certificate of another CA',
      async () => issued({ ca: await createCa({ network: ctx().victim.network }) }),
      'certificate',
    ],
    ['a self-signed certificate', () => leaf(undefined, uri(), usages), 'certificate'],
    [
      'an expired certificate',
      () => issued({ now: new Date(Date.now() - 10 * DAY), days: 1 }),
      'certificate',
    ],
    [
      'a certificate not yet valid',
      () => issued({ now: new Date(Date.now() + 2 * DAY) }),
      'certificate',
    ],
    [
      'a certificate for server authentication only',
      () => leaf(ctx().bed.c.ctx.ca, uri(), [x509.ExtendedKeyUsage.serverAuth]),
      'certificate',
    ],
    [
      "a router's certificate (right CA, not an endpoint)",
      async () => {
        const name = `impostor-${++routers}`
        const { enrollment } = await createRouter(ctx().bed.c.ctx, { name })
        const r = await enrollWithToken(enrollment.token)
        return { cert: r.certificate, key: r.key }
      },
      // A router of this network, but not one the controller lists as live: no link either.
      'router',
    ],
  ]
}
