import type { KeyObject } from 'node:crypto'
import { verifyGrant, type GrantClaims } from '../controller/grants/token.js'
import type { Action } from '../controller/policy/types.js'
import { ZhError } from '../errors.js'
import type { Session } from './registry.js'

/** What the router checks every grant against. */
export interface GrantCheck {
  network: string
  routerId: string
  grantKey: KeyObject
  /** A pushed change removed this permission after the grant was issued. */
  isLost(identityId: string, serviceId: string, action: Action, issuedAt: number): boolean
}

/**
 * Verifies a grant offline: controller signature, expiry, action, service name, and that it was
 * issued to the identity and certificate of this connection, for this router.
 */
export async function authorizeGrant(
  check: GrantCheck,
  session: Session,
  grant: string,
  serviceName: string,
  action: Action,
): Promise<GrantClaims> {
  const claims = await verifyGrant(grant, check.grantKey, {
    network: check.network,
    identityId: session.identityId,
    fingerprint: session.fingerprint,
    serviceName,
    action,
    routerId: check.routerId,
  })
  if (check.isLost(claims.sub, claims.svc, claims.act, claims.iat)) {
    throw new ZhError('ZH_ROUTER_PERMISSION_REVOKED', `${action} ${serviceName}`)
  }
  return claims
}
