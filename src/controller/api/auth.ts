import { createHash } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import type { FastifyRequest } from 'fastify'
import { ZhError } from '../../errors.js'
import type { ControllerContext } from '../context.js'
import { toIdentity, type Identity } from '../model/identities.js'
import { findCertificateHolder } from '../model/principal.js'

/** Who is calling, proven by a client certificate this controller issued and has not revoked. */
export interface Principal {
  id: string
  kind: 'identity' | 'router'
  fingerprint: string
  /** When the certificate it authenticated with expires, ms since the epoch. */
  notAfter: number
  identity?: Identity
}

/** How much a route asks of its caller. */
export type Access = 'public' | 'principal' | 'identity' | 'router' | 'admin'

/**
 * Authenticates the TLS client certificate of a request. The handshake asked for a certificate
 * but let clients without one through (so enrollment works); this is where routes that need one
 * refuse.
 */
export async function authenticate(
  ctx: ControllerContext,
  req: FastifyRequest,
): Promise<Principal> {
  const socket = req.raw.socket as TLSSocket
  const cert = socket.getPeerCertificate()
  if (!cert || !cert.raw) throw new ZhError('ZH_AUTH_CLIENT_CERT_REQUIRED')
  if (!socket.authorized)
    throw new ZhError('ZH_AUTH_CERT_INVALID', String(socket.authorizationError))
  const fingerprint = createHash('sha256').update(cert.raw).digest('hex')
  const record = await findCertificateHolder(ctx.db, fingerprint)
  if (!record || record.principalKind === 'controller')
    throw new ZhError('ZH_AUTH_CERT_INVALID', 'not issued to a principal')
  if (record.principalKind === 'router') {
    if (record.revokedAt !== null) throw new ZhError('ZH_AUTH_CERT_REVOKED')
    if (!record.routerExists) throw new ZhError('ZH_ROUTER_NOT_FOUND', record.principalId)
    return { id: record.principalId, kind: 'router', fingerprint, notAfter: record.notAfter }
  }
  if (!record.identity) throw new ZhError('ZH_IDENTITY_DELETED', record.principalId)
  if (record.identity.disabled === 1)
    throw new ZhError('ZH_IDENTITY_DISABLED', record.identity.name)
  const identity = toIdentity(record.identity)
  if (record.revokedAt !== null) throw new ZhError('ZH_AUTH_CERT_REVOKED')
  return {
    id: identity.id,
    kind: 'identity',
    fingerprint,
    notAfter: record.notAfter,
    identity,
  }
}

/** Applies a route's access level; returns the principal when one is required. */
export async function authorize(
  ctx: ControllerContext,
  req: FastifyRequest,
  access: Access,
): Promise<Principal | undefined> {
  if (access === 'public') return undefined
  const principal = await authenticate(ctx, req)
  if (access === 'identity' && principal.kind !== 'identity')
    throw new ZhError('ZH_AUTH_CERT_INVALID', 'an identity certificate is required')
  if (access === 'router' && principal.kind !== 'router')
    throw new ZhError('ZH_AUTH_CERT_INVALID', 'a router certificate is required')
  if (access === 'admin' && principal.identity?.kind !== 'admin')
    throw new ZhError('ZH_AUTH_ADMIN_REQUIRED')
  return principal
}
