import { isZhError } from '../../errors.js'
import { comparePermissions } from './engine.js'
import type {
  Action,
  Entity,
  IdentityEntity,
  Permission,
  PolicySnapshot,
  RouterPolicy,
  Semantic,
  ServicePolicy,
} from './types.js'

/** An enabled endpoint unless `extra` says otherwise. */
export function identity(
  id: string,
  name: string,
  attributes: string[] = [],
  extra: Partial<IdentityEntity> = {},
): IdentityEntity {
  return { id, name, attributes, disabled: false, kind: 'endpoint', ...extra }
}

/** A service or a router. */
export function entity(id: string, name: string, attributes: string[] = []): Entity {
  return { id, name, attributes }
}

/** A service policy; its name is its id. */
export function servicePolicy(
  id: string,
  type: Action,
  identityRoles: string[],
  serviceRoles: string[],
  semantic: Semantic = 'anyOf',
): ServicePolicy {
  return { id, name: id, type, identityRoles, serviceRoles, semantic }
}

/** A router policy; its name is its id. */
export function routerPolicy(
  id: string,
  identityRoles: string[],
  routerRoles: string[],
  semantic: Semantic = 'anyOf',
): RouterPolicy {
  return { id, name: id, identityRoles, routerRoles, semantic }
}

/** A snapshot with empty defaults. */
export function snapshot(parts: Partial<PolicySnapshot>): PolicySnapshot {
  return {
    identities: [],
    services: [],
    routers: [],
    servicePolicies: [],
    routerPolicies: [],
    ...parts,
  }
}

/** Permissions from `identity/service/action` triples, in the engine's sort order. */
export function perms(...triples: [string, string, Action][]): Permission[] {
  return triples
    .map(([identityId, serviceId, action]) => ({ identityId, serviceId, action }))
    .sort(comparePermissions)
}

/** The ZhError code `fn` throws; fails the test if it throws anything else or nothing. */
export function thrownCode(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    if (isZhError(err)) return err.code
    throw err
  }
  throw new Error('expected a ZhError, nothing was thrown')
}

/** mulberry32: a tiny seeded PRNG, so a failing random case can be replayed from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
