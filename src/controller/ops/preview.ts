import type { ControllerContext } from '../context.js'
import { loadSnapshot } from '../model/snapshot.js'
import { applyProposedChange, type ProposedChange } from '../policy/apply-change.js'
import {
  addedPermissions,
  addedRouterAccess,
  lostPermissions,
  lostRouterAccess,
} from '../policy/diff.js'
import type { EntityRef } from '../policy/explain.js'
import { compareStrings } from '../policy/order.js'
import type { Action, Permission, PolicySnapshot, RouterAccess } from '../policy/types.js'

/** A permission with names, for people. */
export interface PermissionView {
  identity: EntityRef
  service: EntityRef
  action: Action
}

/** A router access with names, for people. */
export interface AccessView {
  identity: EntityRef
  router: EntityRef
}

/** What one change would grant and take away. */
export interface Preview {
  added: PermissionView[]
  removed: PermissionView[]
  addedRouterAccess: AccessView[]
  removedRouterAccess: AccessView[]
}

function namer(items: readonly EntityRef[]): (id: string) => EntityRef {
  const byId = new Map(items.map((e) => [e.id, { id: e.id, name: e.name }]))
  // Every id in a diff comes from the snapshot it is named from; the fallback is defensive only.
  return (id) => byId.get(id) ?? { id, name: id }
}

const compareRefs = (a: EntityRef, b: EntityRef): number =>
  compareStrings(a.name, b.name) || compareStrings(a.id, b.id)

function permissionViews(list: Permission[], s: PolicySnapshot): PermissionView[] {
  const identity = namer(s.identities)
  const service = namer(s.services)
  return list
    .map((p) => ({
      identity: identity(p.identityId),
      service: service(p.serviceId),
      action: p.action,
    }))
    .sort(
      (a, b) =>
        compareRefs(a.identity, b.identity) ||
        compareRefs(a.service, b.service) ||
        compareStrings(a.action, b.action),
    )
}

function accessViews(list: RouterAccess[], s: PolicySnapshot): AccessView[] {
  const identity = namer(s.identities)
  const router = namer(s.routers)
  return list
    .map((a) => ({ identity: identity(a.identityId), router: router(a.routerId) }))
    .sort((a, b) => compareRefs(a.identity, b.identity) || compareRefs(a.router, b.router))
}

/**
 * Dry run: what `change` would grant and take away, computed on an in-memory copy of the policy
 * snapshot; nothing is written. Invalid input fails with the codes the real op would throw.
 * Removed entries are named as they are now, added ones as they would be (a rename shows the new
 * name). Sorted by identity name, then service (router) name, then action.
 *
 * @example
 * await previewChange(ctx, { change: 'service-policy.delete', ref: 'ci-dial' })
 * // { added: [], removed: [{ identity: { id, name: 'runner' }, service: { id, name: 'jenkins' }, action: 'dial' }], ... }
 */
export async function previewChange(
  ctx: ControllerContext,
  change: ProposedChange,
): Promise<Preview> {
  // One statement: a consistent state without a transaction (see loadSnapshot).
  const before = await loadSnapshot(ctx.db)
  const after = applyProposedChange(before, change)
  return {
    added: permissionViews(addedPermissions(before, after), after),
    removed: permissionViews(lostPermissions(before, after), before),
    addedRouterAccess: accessViews(addedRouterAccess(before, after), after),
    removedRouterAccess: accessViews(lostRouterAccess(before, after), before),
  }
}
