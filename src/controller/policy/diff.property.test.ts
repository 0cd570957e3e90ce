import { describe, expect, it } from 'vitest'
import { lostPermissions, lostRouterAccess } from './diff.js'
import { allPermissions, comparePermissions, isActiveEndpoint, isPermitted } from './engine.js'
import {
  entity,
  identity,
  prng,
  routerPolicy,
  servicePolicy,
  snapshot,
} from './fixtures.test-util.js'
import { compareStrings } from './order.js'
import { rolesMatch } from './roles.js'
import type {
  Action,
  Entity,
  IdentityEntity,
  Permission,
  PolicySnapshot,
  RouterAccess,
  Semantic,
} from './types.js'

const ACTIONS: Action[] = ['dial', 'bind']
const ATTRS = ['a', 'b', 'c', 'd']
const NAMES = ['n0', 'n1', 'n2', 'n3', 'n4']

type Random = () => number

const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)]!
const some = <T>(random: Random, items: readonly T[], p: number): T[] =>
  items.filter(() => random() < p)
const int = (random: Random, max: number): number => Math.floor(random() * (max + 1))

function roles(random: Random, ids: readonly string[]): string[] {
  const choices = [
    '#all',
    ...ATTRS.map((a) => `#${a}`),
    ...NAMES.map((n) => `@${n}`),
    ...ids.map((id) => `@${id}`),
  ]
  return Array.from({ length: 1 + int(random, 2) }, () => pick(random, choices))
}

function randomIdentity(random: Random, id: string): IdentityEntity {
  const kind = random() < 0.85 ? 'endpoint' : pick(random, ['admin', 'router'] as const)
  return identity(id, pick(random, NAMES), some(random, ATTRS, 0.4), {
    kind,
    disabled: random() < 0.15,
  })
}

function randomEntity(random: Random, id: string): Entity {
  return entity(id, pick(random, NAMES), some(random, ATTRS, 0.4))
}

function randomSnapshot(random: Random): PolicySnapshot {
  const identities = Array.from({ length: int(random, 6) }, (_, i) =>
    randomIdentity(random, `i${i}`),
  )
  const services = Array.from({ length: int(random, 5) }, (_, i) => randomEntity(random, `s${i}`))
  const routers = Array.from({ length: int(random, 3) }, (_, i) => randomEntity(random, `r${i}`))
  const semantic = (): Semantic => (random() < 0.5 ? 'anyOf' : 'allOf')
  const ids = [...identities, ...services, ...routers].map((e) => e.id)
  return snapshot({
    identities,
    services,
    routers,
    servicePolicies: Array.from({ length: int(random, 5) }, (_, i) =>
      servicePolicy(
        `p${i}`,
        pick(random, ACTIONS),
        roles(random, ids),
        roles(random, ids),
        semantic(),
      ),
    ),
    routerPolicies: Array.from({ length: int(random, 3) }, (_, i) =>
      routerPolicy(`rp${i}`, roles(random, ids), roles(random, ids), semantic()),
    ),
  })
}

const without = <T>(random: Random, items: readonly T[]): T[] => {
  const gone = int(random, items.length - 1)
  return items.filter((_, i) => i !== gone)
}
const replaceOne = <T>(random: Random, items: readonly T[], f: (item: T) => T): T[] => {
  const at = int(random, items.length - 1)
  return items.map((item, i) => (i === at ? f(item) : item))
}

/** One random edit of the kinds the controller makes: deletes, role and attribute changes, renames, additions. */
function mutate(random: Random, s: PolicySnapshot): PolicySnapshot {
  const ids = [...s.identities, ...s.services, ...s.routers].map((e) => e.id)
  switch (int(random, 11)) {
    case 0:
      return { ...s, servicePolicies: without(random, s.servicePolicies) }
    case 1:
      return {
        ...s,
        servicePolicies: replaceOne(random, s.servicePolicies, (p) => ({
          ...p,
          identityRoles: roles(random, ids),
        })),
      }
    case 2:
      return {
        ...s,
        servicePolicies: replaceOne(random, s.servicePolicies, (p) => ({
          ...p,
          serviceRoles: roles(random, ids),
          semantic: pick(random, ['anyOf', 'allOf'] as const),
        })),
      }
    case 3:
      return {
        ...s,
        identities: replaceOne(random, s.identities, (i) => ({
          ...i,
          attributes: some(random, ATTRS, 0.4),
        })),
      }
    case 4:
      return {
        ...s,
        identities: replaceOne(random, s.identities, (i) => ({ ...i, disabled: !i.disabled })),
      }
    case 5:
      return { ...s, identities: without(random, s.identities) }
    case 6:
      return { ...s, services: without(random, s.services) }
    case 7:
      return {
        ...s,
        services: replaceOne(random, s.services, (x) => ({
          ...x,
          attributes: some(random, ATTRS, 0.4),
          name: pick(random, NAMES),
        })),
      }
    case 8:
      return {
        ...s,
        servicePolicies: [
          ...s.servicePolicies,
          servicePolicy('new', pick(random, ACTIONS), roles(random, ids), roles(random, ids)),
        ],
      }
    case 9:
      return { ...s, routerPolicies: without(random, s.routerPolicies) }
    case 10:
      return {
        ...s,
        routers: replaceOne(random, s.routers, (r) => ({
          ...r,
          attributes: some(random, ATTRS, 0.4),
        })),
      }
    default:
      return {
        ...s,
        identities: replaceOne(random, s.identities, (i) => ({
          ...i,
          kind: i.kind === 'endpoint' ? 'admin' : 'endpoint',
        })),
      }
  }
}

/** Every permission by brute force over all pairs, with isPermitted. */
function bruteForce(s: PolicySnapshot): Permission[] {
  const found: Permission[] = []
  for (const i of s.identities) {
    for (const x of s.services) {
      for (const action of ACTIONS)
        if (isPermitted(s, i.id, x.id, action))
          found.push({ identityId: i.id, serviceId: x.id, action })
    }
  }
  return found.sort(comparePermissions)
}

function bruteForceRouters(s: PolicySnapshot): RouterAccess[] {
  const found: RouterAccess[] = []
  for (const i of s.identities.filter(isActiveEndpoint)) {
    for (const r of s.routers) {
      const allowed = s.routerPolicies.some(
        (p) =>
          rolesMatch(p.identityRoles, p.semantic, i) && rolesMatch(p.routerRoles, p.semantic, r),
      )
      if (allowed) found.push({ identityId: i.id, routerId: r.id })
    }
  }
  return found
}

const key = (p: Permission): string => `${p.identityId}|${p.serviceId}|${p.action}`
const routerKey = (a: RouterAccess): string => `${a.identityId}|${a.routerId}`

describe('lostPermissions on random snapshots', () => {
  it('equals the brute-force set difference over all pairs (seeded, 400 cases)', () => {
    let changed = 0
    let unchanged = 0
    for (let seed = 1; seed <= 400; seed++) {
      const random = prng(seed)
      const before = randomSnapshot(random)
      let after = before
      for (let n = 1 + int(random, 2); n > 0; n--) after = mutate(random, after)

      const beforeSet = bruteForce(before)
      expect(
        [...allPermissions(before).values()].sort(comparePermissions),
        `seed ${seed}: allPermissions`,
      ).toEqual(beforeSet)
      const afterKeys = new Set(bruteForce(after).map(key))
      const expected = beforeSet.filter((p) => !afterKeys.has(key(p)))
      expect(lostPermissions(before, after), `seed ${seed}: lostPermissions`).toEqual(expected)

      const afterRouters = new Set(bruteForceRouters(after).map(routerKey))
      const expectedRouters = bruteForceRouters(before)
        .filter((a) => !afterRouters.has(routerKey(a)))
        .sort(
          (a, b) =>
            compareStrings(a.identityId, b.identityId) || compareStrings(a.routerId, b.routerId),
        )
      expect(lostRouterAccess(before, after), `seed ${seed}: lostRouterAccess`).toEqual(
        expectedRouters,
      )

      if (expected.length > 0) changed++
      else if (beforeSet.length > 0) unchanged++
    }
    // the generator exercises both outcomes, so the comparison above is not vacuous
    expect(changed).toBeGreaterThan(40)
    expect(unchanged).toBeGreaterThan(40)
  })
})
