import { describe, expect, it } from 'vitest'
import { lostPermissions, lostRouterAccess } from './diff.js'
import { allPermissions, isPermitted } from './engine.js'
import {
  entity,
  identity,
  perms,
  routerPolicy,
  servicePolicy,
  snapshot,
} from './fixtures.test-util.js'
import type { Permission, PolicySnapshot } from './types.js'

const runner = identity('i1', 'runner', ['ci'])
const builder = identity('i2', 'builder', ['ci', 'deploy'])
const host = identity('i3', 'jenkins-host', ['hosts'])
const jenkins = entity('s1', 'jenkins', ['hooks'])
const grafana = entity('s2', 'grafana', ['dash'])
const p1 = servicePolicy('p1', 'dial', ['#ci'], ['#hooks'])
const p2 = servicePolicy('p2', 'dial', ['#deploy'], ['@grafana'])
const p3 = servicePolicy('p3', 'bind', ['@jenkins-host'], ['#hooks'])
const p4 = servicePolicy('p4', 'bind', ['#hosts'], ['@s2'])

const before = snapshot({
  identities: [runner, builder, host],
  services: [jenkins, grafana],
  servicePolicies: [p1, p2, p3, p4],
})

function change(parts: Partial<PolicySnapshot>): PolicySnapshot {
  return { ...before, ...parts }
}

/** Asserts the exact lost set, and that every other permission of `before` still holds after. */
function expectLost(after: PolicySnapshot, expected: Permission[]): void {
  const lost = lostPermissions(before, after)
  expect(lost).toEqual(expected)
  const lostKeys = new Set(lost.map((p) => `${p.identityId}|${p.serviceId}|${p.action}`))
  for (const [key, p] of allPermissions(before)) {
    if (!lostKeys.has(key))
      expect(isPermitted(after, p.identityId, p.serviceId, p.action), key).toBe(true)
  }
}

describe('lostPermissions', () => {
  it('starts from five permissions', () => {
    expect([...allPermissions(before).keys()].sort()).toEqual([
      'i1|s1|dial',
      'i2|s1|dial',
      'i2|s2|dial',
      'i3|s1|bind',
      'i3|s2|bind',
    ])
  })

  it('no change loses nothing', () => {
    expectLost(before, [])
  })

  it('policy deleted: exactly what it alone granted', () => {
    expectLost(
      change({ servicePolicies: [p2, p3, p4] }),
      perms(['i1', 's1', 'dial'], ['i2', 's1', 'dial']),
    )
  })

  it('a permission another policy still grants is not lost', () => {
    const overlap = servicePolicy('p5', 'dial', ['@runner'], ['@jenkins'])
    const withOverlap = change({ servicePolicies: [p1, p2, p3, p4, overlap] })
    expect(
      lostPermissions(withOverlap, change({ servicePolicies: [p2, p3, p4, overlap] })),
    ).toEqual(perms(['i2', 's1', 'dial']))
  })

  it('policy identity roles changed', () => {
    const narrowed = { ...p1, identityRoles: ['#deploy'] }
    expectLost(change({ servicePolicies: [narrowed, p2, p3, p4] }), perms(['i1', 's1', 'dial']))
  })

  it('policy semantic changed from anyOf to allOf', () => {
    const strict = { ...p1, identityRoles: ['#ci', '#deploy'], semantic: 'allOf' as const }
    const wide = { ...p1, identityRoles: ['#ci', '#deploy'] }
    expect(
      lostPermissions(
        change({ servicePolicies: [wide, p2, p3, p4] }),
        change({ servicePolicies: [strict, p2, p3, p4] }),
      ),
    ).toEqual(perms(['i1', 's1', 'dial']))
  })

  it('identity attribute changed', () => {
    expectLost(
      change({ identities: [runner, { ...builder, attributes: ['ci'] }, host] }),
      perms(['i2', 's2', 'dial']),
    )
  })

  it('identity disabled', () => {
    expectLost(
      change({ identities: [runner, builder, { ...host, disabled: true }] }),
      perms(['i3', 's1', 'bind'], ['i3', 's2', 'bind']),
    )
  })

  it('identity deleted', () => {
    expectLost(change({ identities: [builder, host] }), perms(['i1', 's1', 'dial']))
  })

  it('identity renamed: @name by name is lost, by id is kept', () => {
    expectLost(
      change({ identities: [runner, builder, { ...host, name: 'other-host' }] }),
      perms(['i3', 's1', 'bind']),
    )
  })

  it('service deleted', () => {
    expectLost(change({ services: [jenkins] }), perms(['i2', 's2', 'dial'], ['i3', 's2', 'bind']))
  })

  it('service attribute changed', () => {
    expectLost(
      change({ services: [{ ...jenkins, attributes: ['other'] }, grafana] }),
      perms(['i1', 's1', 'dial'], ['i2', 's1', 'dial'], ['i3', 's1', 'bind']),
    )
  })

  it('service renamed: @grafana is lost, @s2 is kept', () => {
    expectLost(
      change({ services: [jenkins, { ...grafana, name: 'grafana2' }] }),
      perms(['i2', 's2', 'dial']),
    )
  })

  it('changes that only add permissions lose nothing', () => {
    const added = change({
      identities: [
        { ...runner, attributes: ['ci', 'deploy', 'hosts'] },
        builder,
        host,
        identity('i4', 'new', ['ci']),
      ],
      services: [
        { ...jenkins, attributes: ['hooks', 'dash'] },
        grafana,
        entity('s3', 'new-svc', ['hooks']),
      ],
      servicePolicies: [p1, p2, p3, p4, servicePolicy('p9', 'bind', ['#all'], ['#all'])],
    })
    expect(allPermissions(added).size).toBeGreaterThan(allPermissions(before).size)
    expectLost(added, [])
  })

  it('enabling an identity loses nothing', () => {
    const disabled = change({ identities: [runner, builder, { ...host, disabled: true }] })
    expect(lostPermissions(disabled, before)).toEqual([])
  })
})

describe('lostRouterAccess', () => {
  const r1 = entity('r1', 'edge-us', ['us'])
  const r2 = entity('r2', 'edge-eu', ['eu'])
  const all = routerPolicy('default', ['#all'], ['#all'])
  const eu = routerPolicy('eu', ['#deploy'], ['#eu'])
  const base = change({ routers: [r1, r2], routerPolicies: [eu] })

  it('router policy deleted: exactly what it alone allowed', () => {
    const withDefault = { ...base, routerPolicies: [all, eu] }
    expect(lostRouterAccess(withDefault, base)).toEqual([
      { identityId: 'i1', routerId: 'r1' },
      { identityId: 'i1', routerId: 'r2' },
      { identityId: 'i2', routerId: 'r1' },
      { identityId: 'i3', routerId: 'r1' },
      { identityId: 'i3', routerId: 'r2' },
    ])
    expect(lostRouterAccess(base, withDefault)).toEqual([])
  })

  it('router deleted', () => {
    expect(lostRouterAccess(base, { ...base, routers: [r1] })).toEqual([
      { identityId: 'i2', routerId: 'r2' },
    ])
  })

  it('identity attribute changed or identity disabled', () => {
    const retagged = { ...base, identities: [runner, { ...builder, attributes: ['ci'] }, host] }
    expect(lostRouterAccess(base, retagged)).toEqual([{ identityId: 'i2', routerId: 'r2' }])
    const disabled = { ...base, identities: [runner, { ...builder, disabled: true }, host] }
    expect(lostRouterAccess(base, disabled)).toEqual([{ identityId: 'i2', routerId: 'r2' }])
  })
})
