import { describe, expect, it } from 'vitest'
import { allowedRouters, allPermissions, isPermitted, permissionKey } from './engine.js'
import { explainIdentity, explainService } from './explain.js'
import {
  entity,
  identity,
  prng,
  routerPolicy,
  servicePolicy,
  snapshot,
} from './fixtures.test-util.js'
import type { Action, PolicySnapshot } from './types.js'

const runner = identity('i1', 'runner', ['ci'])
const off = identity('i2', 'off', ['ci'], { disabled: true })
const admin = identity('i3', 'admin', ['ci'], { kind: 'admin' })
const jenkins = entity('s1', 'jenkins', ['hooks'])
const edge = entity('r1', 'edge', ['eu'])

const s = snapshot({
  identities: [runner, off, admin],
  services: [jenkins],
  routers: [edge],
  servicePolicies: [
    servicePolicy('b-dial', 'dial', ['#ci'], ['#hooks']),
    servicePolicy('a-dial', 'dial', ['@runner'], ['@jenkins']),
    servicePolicy('bind', 'bind', ['#ci'], ['#all']),
    servicePolicy('broken', 'dial', ['#ci', 'not a role'], ['#all']),
  ],
  routerPolicies: [
    routerPolicy('default', ['#all'], ['#all']),
    routerPolicy('eu', ['#ci'], ['#eu']),
  ],
})

describe('explainService', () => {
  it('lists every granting policy; disabled, admin and broken policies grant nothing', () => {
    expect(explainService(s, jenkins)).toEqual({
      service: { id: 's1', name: 'jenkins' },
      dial: [{ identity: { id: 'i1', name: 'runner' }, policies: ['a-dial', 'b-dial'] }],
      bind: [{ identity: { id: 'i1', name: 'runner' }, policies: ['bind'] }],
    })
  })
})

describe('explainIdentity', () => {
  it('lists services by action and routers, each with its policies', () => {
    expect(explainIdentity(s, runner)).toEqual({
      identity: { id: 'i1', name: 'runner' },
      services: [
        {
          service: { id: 's1', name: 'jenkins' },
          actions: [
            { action: 'bind', policies: ['bind'] },
            { action: 'dial', policies: ['a-dial', 'b-dial'] },
          ],
        },
      ],
      routers: [{ id: 'r1', name: 'edge', policies: ['default', 'eu'] }],
    })
  })

  it('gives a disabled or admin identity nothing', () => {
    for (const who of [off, admin])
      expect(explainIdentity(s, who)).toMatchObject({ services: [], routers: [] })
  })
})

/** A small random world; roles include names, ids and one invalid text. */
function randomSnapshot(random: () => number): PolicySnapshot {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
  const attrs = () => ['a', 'b', 'c'].filter(() => random() < 0.4)
  const roles = () =>
    Array.from({ length: 1 + Math.floor(random() * 2) }, () =>
      pick(['#all', '#a', '#b', '#c', '@n0', '@n1', '@i0', '@s1', 'bad role']),
    )
  const semantic = () => pick(['anyOf', 'allOf'] as const)
  const count = (max: number) => Math.floor(random() * (max + 1))
  return snapshot({
    identities: Array.from({ length: count(5) }, (_, i) =>
      identity(`i${i}`, pick(['n0', 'n1', 'n2']), attrs(), {
        disabled: random() < 0.2,
        kind: random() < 0.85 ? 'endpoint' : 'admin',
      }),
    ),
    services: Array.from({ length: count(4) }, (_, i) =>
      entity(`s${i}`, pick(['n0', 'n1']), attrs()),
    ),
    routers: Array.from({ length: count(3) }, (_, i) => entity(`r${i}`, `r${i}`, attrs())),
    servicePolicies: Array.from({ length: count(4) }, (_, i) =>
      servicePolicy(`p${i}`, pick(['dial', 'bind'] as const), roles(), roles(), semantic()),
    ),
    routerPolicies: Array.from({ length: count(3) }, (_, i) =>
      routerPolicy(`q${i}`, roles(), roles(), semantic()),
    ),
  })
}

describe('explain agrees with the engine', () => {
  it('on random snapshots: the same permissions and routers, and each policy alone grants', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const w = randomSnapshot(prng(seed))
      const explained = new Set<string>()
      for (const service of w.services) {
        const access = explainService(w, service)
        for (const action of ['dial', 'bind'] as Action[])
          for (const { identity: i, policies } of access[action]) {
            explained.add(permissionKey({ identityId: i.id, serviceId: service.id, action }))
            for (const name of policies) {
              const alone = {
                ...w,
                servicePolicies: w.servicePolicies.filter((p) => p.name === name),
              }
              expect(isPermitted(alone, i.id, service.id, action), `seed ${seed}`).toBe(true)
            }
          }
      }
      expect([...explained].sort(), `seed ${seed}`).toEqual([...allPermissions(w).keys()].sort())
      for (const i of w.identities) {
        const access = explainIdentity(w, i)
        const keys = access.services.flatMap((x) =>
          x.actions.map((a) =>
            permissionKey({ identityId: i.id, serviceId: x.service.id, action: a.action }),
          ),
        )
        expect(keys.sort(), `seed ${seed}`).toEqual(
          [...allPermissions(w).values()]
            .filter((p) => p.identityId === i.id)
            .map(permissionKey)
            .sort(),
        )
        expect(access.routers.map((r) => r.id).sort(), `seed ${seed}`).toEqual(
          allowedRouters(w, i.id),
        )
      }
    }
  })
})
