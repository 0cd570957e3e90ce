import 'reflect-metadata'
import { webcrypto } from 'node:crypto'
import * as x509 from '@peculiar/x509'

/** An RSA private key (PKCS#8 PEM) and a self-signed certificate standing in for SNS's. */
export interface SnsIdentity {
  readonly key: string
  readonly cert: string
}

/**
 * A fresh RSA key and a self-signed `CN=sns.amazonaws.com` certificate valid from `notBefore`
 * to `notAfter` (Unix seconds): what the aws-sns tests and the webhooks bench sign with.
 *
 * @example
 * const { key, cert } = await snsIdentity(now - 86400, now + 86400)
 */
export async function snsIdentity(notBefore: number, notAfter: number): Promise<SnsIdentity> {
  x509.cryptoProvider.set(webcrypto)
  const alg = {
    name: 'RSASSA-PKCS1-v1_5',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: 'SHA-256',
  }
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify'])
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=sns.amazonaws.com',
    notBefore: new Date(notBefore * 1000),
    notAfter: new Date(notAfter * 1000),
    keys,
    signingAlgorithm: alg,
  })
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey))
  const key = `-----BEGIN PRIVATE KEY-----\n${pkcs8.toString('base64')}\n-----END PRIVATE KEY-----\n`
  return { key, cert: cert.toString('pem') }
}
