import { randomBytes, randomInt, webcrypto } from 'node:crypto'
import { randomSerial } from './serial.js'
import { signingAlgorithm } from './webcrypto.js'
import { x509 } from './x509.js'

/** A TLS serving certificate and its key, PEM. */
export interface OpaqueCertificate {
  cert: string
  key: string
}

const HOUR = 3_600_000
const DAY = 24 * HOUR

/**
 * A self-signed certificate that names nothing, for a listener whose port must not say what
 * it is (a router's edge): a fresh P-256 key, a random serial, a random common name as subject
 * and issuer, no alternative names and no extension but `CA:FALSE`, and a validity window that
 * starts a random hour of the last day and lasts a year. No peer trusts it: who the server is
 * gets proved inside the TLS channel (see `channel-proof.ts`).
 *
 * @example
 * ```ts
 * const serving = await createOpaqueCertificate()
 * tls.createServer({ cert: serving.cert, key: serving.key })
 * ```
 */
export async function createOpaqueCertificate(now = new Date()): Promise<OpaqueCertificate> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256' }
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])
  const name = `CN=${randomBytes(8).toString('hex')}`
  const notBefore = new Date(now.getTime() - HOUR * (1 + randomInt(24)))
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore,
    notAfter: new Date(notBefore.getTime() + 365 * DAY),
    keys,
    signingAlgorithm: signingAlgorithm.p256,
    extensions: [new x509.BasicConstraintsExtension(false)],
  })
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .match(/.{1,64}/g)!
    .join('\n')}\n-----END PRIVATE KEY-----\n`
  return { cert: cert.toString('pem'), key }
}
