import { lostPermissions, lostRouterAccess } from './policy/diff.js'
import type { Permission } from './policy/types.js'
import type { ControllerContext } from './context.js'
import { revokeCertificates } from './model/certificates.js'
import { loadSnapshot } from './model/snapshot.js'

/** What a change took away: routers close the matching circuits and terminators at once. */
export interface ChangeEvent {
  lost: Permission[]
  lostRouterAccess: { identityId: string; routerId: string }[]
  /** Certificates revoked by this change (identity or router disabled or deleted). */
  revoked: { principalId: string; fingerprints: string[] }[]
}

/** Passed to a change so it can revoke a principal's certificates in the same transaction. */
export interface ChangeScope {
  revoke(principalId: string): void
}

/**
 * Runs `fn` in one transaction, computes exactly which permissions it removed (policy snapshot
 * before and after), and emits a ChangeEvent when anything was lost or revoked.
 */
export function applyChange<T>(ctx: ControllerContext, fn: (scope: ChangeScope) => T): T {
  const revoked: ChangeEvent['revoked'] = []
  const run = ctx.db.transaction(() => {
    const before = loadSnapshot(ctx.db)
    const result = fn({
      revoke: (principalId) => {
        const fingerprints = revokeCertificates(ctx.db, principalId)
        if (fingerprints.length > 0) revoked.push({ principalId, fingerprints })
      },
    })
    const after = loadSnapshot(ctx.db)
    return { result, before, after }
  })
  const { result, before, after } = run.immediate()
  const event: ChangeEvent = {
    lost: lostPermissions(before, after),
    lostRouterAccess: lostRouterAccess(before, after),
    revoked,
  }
  if (event.lost.length > 0 || event.lostRouterAccess.length > 0 || revoked.length > 0) {
    ctx.log.info(
      {
        lost: event.lost.length,
        lostRouterAccess: event.lostRouterAccess.length,
        revoked: revoked.length,
      },
      'permissions removed',
    )
    ctx.events.emit('change', event)
  }
  return result
}
