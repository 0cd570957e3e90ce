import { compareStrings } from './order.js'
import { allPermissions, allRouterAccess, comparePermissions } from './engine.js'
import type { Permission, PolicySnapshot, RouterAccess } from './types.js'

/** The values of `before` whose keys are not in `after`. */
function missing<V>(before: Map<string, V>, after: Map<string, V>): V[] {
  const lost: V[] = []
  for (const [key, value] of before) if (!after.has(key)) lost.push(value)
  return lost
}

/**
 * Exactly the permissions that hold in `before` and not in `after`, sorted: what routers must tear
 * down after a change (policy, attribute, identity or service). A change that only adds loses
 * nothing.
 *
 * @example
 * lostPermissions(before, after) // [{ identityId: 'i1', serviceId: 's1', action: 'dial' }]
 */
export function lostPermissions(before: PolicySnapshot, after: PolicySnapshot): Permission[] {
  return missing(allPermissions(before), allPermissions(after)).sort(comparePermissions)
}

/**
 * Exactly the (identity, router) pairs allowed in `before` and not in `after`, sorted by identity
 * then router.
 *
 * @example
 * lostRouterAccess(before, after) // [{ identityId: 'i1', routerId: 'r2' }]
 */
export function lostRouterAccess(before: PolicySnapshot, after: PolicySnapshot): RouterAccess[] {
  return missing(allRouterAccess(before), allRouterAccess(after)).sort(
    (a, b) => compareStrings(a.identityId, b.identityId) || compareStrings(a.routerId, b.routerId),
  )
}

/**
 * Exactly the permissions that hold in `after` and not in `before`, sorted: what a change would
 * grant (the preview shows it next to what it takes away).
 *
 * @example
 * addedPermissions(before, after) // [{ identityId: 'i1', serviceId: 's2', action: 'bind' }]
 */
export function addedPermissions(before: PolicySnapshot, after: PolicySnapshot): Permission[] {
  return lostPermissions(after, before)
}

/**
 * Exactly the (identity, router) pairs allowed in `after` and not in `before`, sorted.
 *
 * @example
 * addedRouterAccess(before, after) // [{ identityId: 'i1', routerId: 'r3' }]
 */
export function addedRouterAccess(before: PolicySnapshot, after: PolicySnapshot): RouterAccess[] {
  return lostRouterAccess(after, before)
}
