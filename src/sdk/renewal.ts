import { X509Certificate } from 'node:crypto'
import { createKeyAndCsr } from '../pki/csr.js'
import { ControllerClient } from './controller-client.js'
import type { IdentityFile } from './identity-file.js'

/** When to renew: two thirds into the certificate's lifetime (ms from now, at least 1 s). */
export function renewalDelay(certificatePem: string, now = Date.now()): number {
  const cert = new X509Certificate(certificatePem)
  const from = Date.parse(cert.validFrom)
  const to = Date.parse(cert.validTo)
  return Math.max(1_000, from + ((to - from) * 2) / 3 - now)
}

/**
 * Renews an identity's certificate over mTLS: a new key pair made here (the private key never
 * leaves), a CSR for the same id, and the controller's fresh certificate.
 */
export async function renewIdentity(identity: IdentityFile): Promise<IdentityFile> {
  const { keyPem, csrPem } = await createKeyAndCsr({ commonName: identity.id })
  const r = await new ControllerClient(identity).call<{ certificate: string }>(
    'POST',
    '/v1/current-identity/renew',
    { csr: csrPem },
  )
  return { ...identity, certificate: r.certificate, key: keyPem }
}
