import { indexEntities, selectEntities } from './entity-index.js'
import { compareStrings } from './order.js'
import { rolesMatch, tryParseRole, type Role } from './roles.js'
import type {
  Action,
  IdentityEntity,
  Permission,
  PolicySnapshot,
  RouterAccess,
  Semantic,
} from './types.js'

/** The map key of a permission: `${identityId}|${serviceId}|${action}` (ids never contain `|`). */
export function permissionKey(p: Permission): string {
  return `${p.identityId}|${p.serviceId}|${p.action}`
}

/** The map key of a router access: `${identityId}|${routerId}`. */
export function routerAccessKey(a: RouterAccess): string {
  return `${a.identityId}|${a.routerId}`
}

/** Orders permissions by identity, then service, then action. */
export function comparePermissions(a: Permission, b: Permission): number {
  return (
    compareStrings(a.identityId, b.identityId) ||
    compareStrings(a.serviceId, b.serviceId) ||
    compareStrings(a.action, b.action)
  )
}

/**
 * Only enabled endpoints use services or routers: admins manage and routers relay, neither dials
 * or binds. An unknown kind gets nothing (fail closed).
 */
export function isActiveEndpoint(identity: IdentityEntity): boolean {
  return identity.kind === 'endpoint' && identity.disabled === false
}

/** One side of a policy, parsed. Stored roles were checked on write; one that no longer parses selects nothing. */
function compileSide(texts: readonly string[]): Role[] {
  const roles: Role[] = []
  for (const text of texts) {
    const role = tryParseRole(text)
    if (role === undefined) return []
    roles.push(role)
  }
  return roles
}

interface CompiledPolicy {
  identityRoles: Role[]
  targetRoles: Role[]
  semantic: Semantic
}

function compileServicePolicies(
  s: PolicySnapshot,
  action: Action | undefined,
): (CompiledPolicy & { type: Action })[] {
  return s.servicePolicies
    .filter((p) => action === undefined || p.type === action)
    .map((p) => ({
      type: p.type,
      identityRoles: compileSide(p.identityRoles),
      targetRoles: compileSide(p.serviceRoles),
      semantic: p.semantic,
    }))
}

function compileRouterPolicies(s: PolicySnapshot): CompiledPolicy[] {
  return s.routerPolicies.map((p) => ({
    identityRoles: compileSide(p.identityRoles),
    targetRoles: compileSide(p.routerRoles),
    semantic: p.semantic,
  }))
}

function activeEndpoint(s: PolicySnapshot, identityId: string): IdentityEntity | undefined {
  const identity = s.identities.find((i) => i.id === identityId)
  return identity !== undefined && isActiveEndpoint(identity) ? identity : undefined
}

/**
 * True when some `action` policy selects both the identity and the service. Unknown ids, disabled
 * identities and non-endpoints are never permitted; with no policy nothing is.
 *
 * @example
 * isPermitted(snapshot, runner.id, jenkins.id, 'dial') // true if a dial policy matches both
 */
export function isPermitted(
  s: PolicySnapshot,
  identityId: string,
  serviceId: string,
  action: Action,
): boolean {
  const identity = activeEndpoint(s, identityId)
  const service = s.services.find((x) => x.id === serviceId)
  if (identity === undefined || service === undefined) return false
  return compileServicePolicies(s, action).some(
    (p) =>
      rolesMatch(p.identityRoles, p.semantic, identity) &&
      rolesMatch(p.targetRoles, p.semantic, service),
  )
}

/**
 * Every permission of one identity, each once, sorted by service then action (the order grants are
 * signed in).
 *
 * @example
 * permissionsOf(snapshot, runner.id) // [{ identityId, serviceId: 'svc1', action: 'bind' }, ...]
 */
export function permissionsOf(s: PolicySnapshot, identityId: string): Permission[] {
  const identity = activeEndpoint(s, identityId)
  if (identity === undefined) return []
  const services = indexEntities(s.services)
  const found = new Map<string, Permission>()
  for (const p of compileServicePolicies(s, undefined)) {
    if (!rolesMatch(p.identityRoles, p.semantic, identity)) continue
    for (const service of selectEntities(services, p.targetRoles, p.semantic)) {
      const permission: Permission = { identityId, serviceId: service.id, action: p.type }
      found.set(permissionKey(permission), permission)
    }
  }
  return [...found.values()].sort(comparePermissions)
}

/**
 * Every permission in the snapshot, keyed by {@link permissionKey}.
 *
 * Complexity: indexing is O(N·k) for N entities of k attributes; then per policy the matched
 * identities and services are computed once by index lookup (O(r·k·m) for r roles and m
 * candidates) and crossed, so the total is O(N·k + Σ_policies (r·k·m + |I_p|·|S_p|)), linear in
 * the size of the output rather than O(policies × identities × services).
 */
export function allPermissions(s: PolicySnapshot): Map<string, Permission> {
  const identities = indexEntities(s.identities.filter(isActiveEndpoint))
  const services = indexEntities(s.services)
  const all = new Map<string, Permission>()
  for (const p of compileServicePolicies(s, undefined)) {
    const matchedIdentities = selectEntities(identities, p.identityRoles, p.semantic)
    if (matchedIdentities.length === 0) continue
    const matchedServices = selectEntities(services, p.targetRoles, p.semantic)
    for (const identity of matchedIdentities) {
      for (const service of matchedServices) {
        const permission: Permission = {
          identityId: identity.id,
          serviceId: service.id,
          action: p.type,
        }
        all.set(permissionKey(permission), permission)
      }
    }
  }
  return all
}

/**
 * The ids of the routers an identity may connect to, sorted: those selected together with it by
 * some router policy. The controller creates a default `#all`/`#all` policy; the engine only
 * evaluates what it is given, so with no router policy the list is empty.
 *
 * @example
 * allowedRouters(snapshot, runner.id) // ['r1', 'r2']
 */
export function allowedRouters(s: PolicySnapshot, identityId: string): string[] {
  const identity = activeEndpoint(s, identityId)
  if (identity === undefined) return []
  const routers = indexEntities(s.routers)
  const found = new Set<string>()
  for (const p of compileRouterPolicies(s)) {
    if (!rolesMatch(p.identityRoles, p.semantic, identity)) continue
    for (const router of selectEntities(routers, p.targetRoles, p.semantic)) found.add(router.id)
  }
  return [...found].sort(compareStrings)
}

/** Every (identity, router) pair the router policies allow, keyed by {@link routerAccessKey}; same cost as {@link allPermissions}. */
export function allRouterAccess(s: PolicySnapshot): Map<string, RouterAccess> {
  const identities = indexEntities(s.identities.filter(isActiveEndpoint))
  const routers = indexEntities(s.routers)
  const all = new Map<string, RouterAccess>()
  for (const p of compileRouterPolicies(s)) {
    const matchedIdentities = selectEntities(identities, p.identityRoles, p.semantic)
    if (matchedIdentities.length === 0) continue
    for (const router of selectEntities(routers, p.targetRoles, p.semantic)) {
      for (const identity of matchedIdentities) {
        const access: RouterAccess = { identityId: identity.id, routerId: router.id }
        all.set(routerAccessKey(access), access)
      }
    }
  }
  return all
}
