import { lostPermissions, lostRouterAccess } from './policy/diff.js'
import type { Permission } from './policy/types.js'
import type { ControllerContext } from './context.js'
import { revokeCertificates } from './model/certificates.js'
import { loadSnapshot } from './model/snapshot.js'
import type { Tx } from './store/types.js'

/** What a change took away: routers close the matching circuits and terminators at once. */
export interface ChangeEvent {
  lost: Permission[]
  lostRouterAccess: { identityId: string; routerId: string }[]
  /** Certificates revoked by this change (identity or router disabled or deleted). */
  revoked: { principalId: string; fingerprints: string[] }[]
}

/** A change as the feed delivers it: with its place in the network-wide order. */
export interface SequencedChange extends ChangeEvent {
  seq: number
}

/** Passed to a change so it can revoke a principal's certificates in the same transaction. */
export interface ChangeScope {
  tx: Tx
  revoke(principalId: string): Promise<void>
}

/**
 * Runs `fn` in one exclusive transaction (one change at a time across every replica, so each
 * sees the state the previous one left), computes exactly which permissions it removed (policy
 * snapshot before and after), and records that as a change in the same transaction. Every
 * replica's feed then reads it and pushes it to its routers; this replica's listeners have it
 * before this resolves.
 */
export async function applyChange<T>(
  ctx: ControllerContext,
  fn: (scope: ChangeScope) => Promise<T>,
): Promise<T> {
  const { result, event } = await ctx.db.transaction(
    async (tx) => {
      const revoked: ChangeEvent['revoked'] = []
      const before = await loadSnapshot(tx)
      const result = await fn({
        tx,
        revoke: async (principalId) => {
          const fingerprints = await revokeCertificates(tx, principalId)
          if (fingerprints.length > 0) revoked.push({ principalId, fingerprints })
        },
      })
      const after = await loadSnapshot(tx)
      const event: ChangeEvent = {
        lost: lostPermissions(before, after),
        lostRouterAccess: lostRouterAccess(before, after),
        revoked,
      }
      if (event.lost.length > 0 || event.lostRouterAccess.length > 0 || revoked.length > 0) {
        await tx.run('INSERT INTO changes (at, event) VALUES (?, ?)', [
          Date.now(),
          JSON.stringify(event),
        ])
        await tx.announce('changes')
        return { result, event }
      }
      return { result, event: undefined }
    },
    { exclusive: true },
  )
  if (event) {
    ctx.log.info(
      {
        lost: event.lost.length,
        lostRouterAccess: event.lostRouterAccess.length,
        revoked: event.revoked.length,
      },
      'permissions removed',
    )
    await ctx.feed.catchUp()
  }
  return result
}
