import { X509Certificate } from 'node:crypto'
import { ZhError } from '../errors.js'
import { renewalDue } from '../pki/validity.js'
import { ControllerClient } from './controller-client.js'
import { withKnownControllers } from './controller-pool.js'
import { knockOf, type IdentityFile } from './identity-file.js'

/** When to renew: two thirds into the certificate's validity (ms from now, at least 1 s). */
export function renewalDelay(certificatePem: string, now = Date.now()): number {
  const cert = new X509Certificate(certificatePem)
  return Math.max(1_000, renewalDue(Date.parse(cert.validFrom), Date.parse(cert.validTo)) - now)
}

/** When the certificate expires, ms since the epoch. */
export function certificateExpiry(certificatePem: string): number {
  return Date.parse(new X509Certificate(certificatePem).validTo)
}

/**
 * Throws ZH_CERT_EXPIRED when the identity's certificate has expired: it can no longer renew
 * itself (renewal authenticates with it), so the detail says how to enroll it again.
 */
export function assertNotExpired(identity: IdentityFile, now = Date.now()): void {
  const expiry = certificateExpiry(identity.certificate)
  if (expiry > now) return
  const how =
    identity.kind === 'router'
      ? `an admin runs \`zerohook router token ${identity.name} --out T\`, then \`zerohook router run --dir DIR --enroll T\``
      : `an admin runs \`zerohook identity token ${identity.name} --out T\`, then \`zerohook enroll T --out FILE\``
  throw new ZhError(
    'ZH_CERT_EXPIRED',
    `${identity.kind} ${identity.name}: expired at ${new Date(expiry).toISOString()}; ${how}`,
  )
}

/**
 * Renews an identity's certificate over mTLS: a new key pair made here (the private key never
 * leaves), a CSR for the same id, and the controller's fresh certificate. The renewed identity
 * lists every controller replica known by now (`controllers`), so saving it keeps them.
 */
export async function renewIdentity(identity: IdentityFile): Promise<IdentityFile> {
  assertNotExpired(identity)
  // Loaded here, not with the SDK: building a CSR needs @peculiar/x509, a fifth of a second.
  const { createKeyAndCsr } = await import('../pki/csr.js')
  const { keyPem, csrPem } = await createKeyAndCsr({ commonName: identity.id })
  const r = await new ControllerClient(identity).call<{ certificate: string; knock?: unknown }>(
    'POST',
    '/v1/current-identity/renew',
    { csr: csrPem },
  )
  return withKnownControllers({
    ...identity,
    certificate: r.certificate,
    key: keyPem,
    ...knockOf(r),
  })
}
