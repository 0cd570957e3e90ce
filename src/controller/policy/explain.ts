import { isActiveEndpoint } from './engine.js'
import { compareStrings } from './order.js'
import { rolesMatch, tryParseRole, type Role } from './roles.js'
import type { Action, Entity, IdentityEntity, PolicySnapshot, Semantic } from './types.js'

/** An entity as the access views name it. */
export interface EntityRef {
  id: string
  name: string
}

/** Who may act on one service, and which policies say so. */
export interface ServiceAccess {
  service: EntityRef
  dial: { identity: EntityRef; policies: string[] }[]
  bind: { identity: EntityRef; policies: string[] }[]
}

/** What one identity may reach, and which policies say so. */
export interface IdentityAccess {
  identity: EntityRef
  services: { service: EntityRef; actions: { action: Action; policies: string[] }[] }[]
  routers: (EntityRef & { policies: string[] })[]
}

/** In the engine's order (grants are signed bind before dial). */
const ACTIONS: readonly Action[] = ['bind', 'dial']

interface Compiled {
  name: string
  type?: Action
  identityRoles: Role[]
  targetRoles: Role[]
  semantic: Semantic
}

/** As the engine does: a side with a role that no longer parses selects nothing. */
function compileSide(texts: readonly string[]): Role[] {
  const roles = texts.map(tryParseRole)
  return roles.every((r) => r !== undefined) ? roles : []
}

function compile(s: PolicySnapshot): { service: Compiled[]; router: Compiled[] } {
  return {
    service: s.servicePolicies.map((p) => ({
      name: p.name,
      type: p.type,
      identityRoles: compileSide(p.identityRoles),
      targetRoles: compileSide(p.serviceRoles),
      semantic: p.semantic,
    })),
    router: s.routerPolicies.map((p) => ({
      name: p.name,
      identityRoles: compileSide(p.identityRoles),
      targetRoles: compileSide(p.routerRoles),
      semantic: p.semantic,
    })),
  }
}

/** The sorted names of the policies (of `action`, if given) that select both sides. */
function granting(
  policies: Compiled[],
  identity: Entity,
  target: Entity,
  action?: Action,
): string[] {
  return policies
    .filter(
      (p) =>
        (action === undefined || p.type === action) &&
        rolesMatch(p.identityRoles, p.semantic, identity) &&
        rolesMatch(p.targetRoles, p.semantic, target),
    )
    .map((p) => p.name)
    .sort(compareStrings)
}

function byName<T extends EntityRef>(items: readonly T[]): T[] {
  return [...items].sort((a, b) => compareStrings(a.name, b.name) || compareStrings(a.id, b.id))
}

const ref = (e: EntityRef): EntityRef => ({ id: e.id, name: e.name })

/**
 * Every identity that may dial or bind `service`, with every policy that grants it (not only the
 * first): removing one of several leaves the permission in place. Disabled and non-endpoint
 * identities get nothing, as in the engine.
 *
 * @example
 * explainService(snapshot, jenkins).dial // [{ identity: { id: 'i1', name: 'runner' }, policies: ['ci-dial'] }]
 */
export function explainService(s: PolicySnapshot, service: Entity): ServiceAccess {
  const { service: policies } = compile(s)
  const access: ServiceAccess = { service: ref(service), dial: [], bind: [] }
  for (const identity of byName(s.identities.filter(isActiveEndpoint))) {
    for (const action of ACTIONS) {
      const names = granting(policies, identity, service, action)
      if (names.length > 0) access[action].push({ identity: ref(identity), policies: names })
    }
  }
  return access
}

/**
 * Every service and router `identity` may use, with every policy that grants each action or
 * router. A disabled or non-endpoint identity gets empty lists, as in the engine.
 *
 * @example
 * explainIdentity(snapshot, runner).services[0] // { service: { id, name }, actions: [{ action: 'dial', policies: ['ci-dial'] }] }
 */
export function explainIdentity(s: PolicySnapshot, identity: IdentityEntity): IdentityAccess {
  const access: IdentityAccess = { identity: ref(identity), services: [], routers: [] }
  if (!isActiveEndpoint(identity)) return access
  const policies = compile(s)
  for (const service of byName(s.services)) {
    const actions = ACTIONS.map((action) => ({
      action,
      policies: granting(policies.service, identity, service, action),
    })).filter((a) => a.policies.length > 0)
    if (actions.length > 0) access.services.push({ service: ref(service), actions })
  }
  for (const router of byName(s.routers)) {
    const names = granting(policies.router, identity, router)
    if (names.length > 0) access.routers.push({ ...ref(router), policies: names })
  }
  return access
}
