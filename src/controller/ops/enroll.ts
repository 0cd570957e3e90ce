import type { JWK } from 'jose'
import { ZhError } from '../../errors.js'
import { parseCsr } from '../../pki/csr.js'
import { issueCertificate } from '../../pki/issue.js'
import { principalUri } from '../../pki/uri.js'
import type { ControllerContext } from '../context.js'
import { verifyEnrollToken } from '../enrollment/token.js'
import { recordCertificate, recordRenewal } from '../model/certificates.js'
import { getEntity } from '../model/entities.js'
import { consumeEnrollment, peekEnrollment } from '../model/enrollments.js'
import { requireActiveIdentity } from '../model/identities.js'

/** What an enrolled principal needs to write its identity file (all but its private key). */
export interface EnrollResult {
  id: string
  name: string
  kind: 'endpoint' | 'admin' | 'router'
  network: string
  controller: string
  /** Every live controller replica's URL, this one first: the client fails over between them. */
  controllers: string[]
  certificate: string
  ca: string
  grantKey: JWK
  /** The network's knock keys, current first (see KnockKeys). */
  knock?: string[]
}

/**
 * Redeems a one-time token for a certificate. Everything is checked before anything is written,
 * and the token is consumed in the same transaction that records the certificate, so a failure at
 * any step leaves the store unchanged and the token usable.
 */
export async function enroll(
  ctx: ControllerContext,
  input: { token: string; csr: string },
): Promise<EnrollResult> {
  const claims = await verifyEnrollToken(input.token, ctx.signingKey.publicKey, {
    network: ctx.network,
  })
  const principal = await findPrincipal(ctx, claims.em, claims.sub)
  await peekEnrollment(ctx.db, claims.jti, claims.sub)
  const { publicKeyPem } = await parseCsr(input.csr, { commonName: claims.sub })
  const cert = await issueCertificate({
    ca: ctx.ca,
    publicKeyPem,
    commonName: claims.sub,
    uri: principalUri(ctx.network, claims.em, claims.sub),
    days: lifetimeDays(ctx, principal.kind === 'admin'),
  })
  await ctx.db.transaction(async (tx) => {
    await consumeEnrollment(tx, claims.jti, claims.sub)
    await recordCertificate(tx, {
      serial: cert.serial,
      fingerprint: cert.fingerprint,
      principalId: claims.sub,
      principalKind: claims.em,
      notAfter: cert.notAfter,
    })
  })
  ctx.log.info({ principal: claims.sub, kind: claims.em, serial: cert.serial }, 'enrolled')
  return {
    id: claims.sub,
    name: principal.name,
    kind: principal.kind,
    network: ctx.network,
    controller: ctx.url,
    controllers: ctx.replicas.urls(),
    certificate: cert.certPem,
    ca: ctx.ca.certPem,
    grantKey: ctx.signingKey.publicJwk,
    ...(ctx.knock ? { knock: ctx.knock.keys() } : {}),
  }
}

async function findPrincipal(
  ctx: ControllerContext,
  kind: 'identity' | 'router',
  id: string,
): Promise<{ name: string; kind: EnrollResult['kind'] }> {
  if (kind === 'identity') {
    const identity = await requireActiveIdentity(ctx.db, id)
    return { name: identity.name, kind: identity.kind }
  }
  try {
    return { name: (await getEntity(ctx.db, 'routers', id)).name, kind: 'router' }
  } catch {
    throw new ZhError('ZH_ENROLL_TOKEN_INVALID', 'the router was deleted')
  }
}

/**
 * The lifetime of a principal's certificate, days: admins live as long as the controller's own
 * certificate (a year by default), endpoints and routers `--cert-ttl`.
 */
function lifetimeDays(ctx: ControllerContext, admin: boolean): number {
  return (admin ? ctx.settings.controllerCertTtl : ctx.settings.certTtl) / 86_400
}

/** Issues a fresh certificate to an authenticated principal for a CSR of its own id. */
export async function renew(
  ctx: ControllerContext,
  principal: { id: string; kind: 'identity' | 'router'; identity?: { kind: string } },
  csr: string,
): Promise<{ certificate: string; notAfter: string; knock?: string[] }> {
  const { publicKeyPem } = await parseCsr(csr, { commonName: principal.id })
  const cert = await issueCertificate({
    ca: ctx.ca,
    publicKeyPem,
    commonName: principal.id,
    uri: principalUri(ctx.network, principal.kind, principal.id),
    days: lifetimeDays(ctx, principal.identity?.kind === 'admin'),
  })
  await ctx.db.transaction(async (tx) => {
    await recordCertificate(tx, {
      serial: cert.serial,
      fingerprint: cert.fingerprint,
      principalId: principal.id,
      principalKind: principal.kind,
      notAfter: cert.notAfter,
    })
    await recordRenewal(tx, principal.id)
  })
  ctx.log.info({ principal: principal.id, serial: cert.serial }, 'certificate renewed')
  return {
    certificate: cert.certPem,
    notAfter: cert.notAfter.toISOString(),
    ...(ctx.knock ? { knock: ctx.knock.keys() } : {}),
  }
}
