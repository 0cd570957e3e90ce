import { describe, expect, it } from 'vitest'
import {
  allPermissions,
  allRouterAccess,
  allowedRouters,
  comparePermissions,
  isPermitted,
  permissionsOf,
} from './engine.js'
import {
  entity,
  identity,
  perms,
  routerPolicy,
  servicePolicy,
  snapshot,
} from './fixtures.test-util.js'
import type { PolicySnapshot } from './types.js'

const runner = identity('i1', 'runner', ['ci'])
const builder = identity('i2', 'builder', ['ci', 'deploy'])
const host = identity('i3', 'jenkins-host', ['hosts'])
const jenkins = entity('s1', 'jenkins', ['hooks'])
const grafana = entity('s2', 'grafana', ['dash'])

function world(parts: Partial<PolicySnapshot>): PolicySnapshot {
  return snapshot({ identities: [runner, builder, host], services: [jenkins, grafana], ...parts })
}

describe('isPermitted', () => {
  it('with no policy nothing is permitted', () => {
    const s = world({})
    expect(isPermitted(s, 'i1', 's1', 'dial')).toBe(false)
    expect(allPermissions(s).size).toBe(0)
    expect(permissionsOf(s, 'i1')).toEqual([])
  })

  it('#attr selects identities and services by attribute', () => {
    const s = world({ servicePolicies: [servicePolicy('p', 'dial', ['#ci'], ['#hooks'])] })
    expect(isPermitted(s, 'i1', 's1', 'dial')).toBe(true)
    expect(isPermitted(s, 'i2', 's1', 'dial')).toBe(true)
    expect(isPermitted(s, 'i3', 's1', 'dial')).toBe(false) // no #ci
    expect(isPermitted(s, 'i1', 's2', 'dial')).toBe(false) // no #hooks
  })

  it('@name selects one entity by name', () => {
    const s = world({ servicePolicies: [servicePolicy('p', 'dial', ['@runner'], ['@grafana'])] })
    expect(isPermitted(s, 'i1', 's2', 'dial')).toBe(true)
    expect(isPermitted(s, 'i2', 's2', 'dial')).toBe(false)
    expect(isPermitted(s, 'i1', 's1', 'dial')).toBe(false)
  })

  it('@name selects one entity by id', () => {
    const s = world({ servicePolicies: [servicePolicy('p', 'dial', ['@i2'], ['@s1'])] })
    expect(isPermitted(s, 'i2', 's1', 'dial')).toBe(true)
    expect(isPermitted(s, 'i1', 's1', 'dial')).toBe(false)
    expect(isPermitted(s, 'i2', 's2', 'dial')).toBe(false)
  })

  it('#all selects every endpoint and every service', () => {
    const s = world({ servicePolicies: [servicePolicy('p', 'bind', ['#all'], ['#all'])] })
    expect([...allPermissions(s).values()].sort(comparePermissions)).toEqual(
      perms(
        ['i1', 's1', 'bind'],
        ['i1', 's2', 'bind'],
        ['i2', 's1', 'bind'],
        ['i2', 's2', 'bind'],
        ['i3', 's1', 'bind'],
        ['i3', 's2', 'bind'],
      ),
    )
  })

  it('anyOf: an identity with only one of two attributes matches', () => {
    const s = world({
      servicePolicies: [servicePolicy('p', 'dial', ['#ci', '#deploy'], ['#hooks'], 'anyOf')],
    })
    expect(isPermitted(s, 'i1', 's1', 'dial')).toBe(true)
    expect(isPermitted(s, 'i2', 's1', 'dial')).toBe(true)
  })

  it('allOf: an identity with only one of two attributes does not match', () => {
    const s = world({
      servicePolicies: [servicePolicy('p', 'dial', ['#ci', '#deploy'], ['#hooks'], 'allOf')],
    })
    expect(isPermitted(s, 'i1', 's1', 'dial')).toBe(false)
    expect(isPermitted(s, 'i2', 's1', 'dial')).toBe(true)
  })

  it('the semantic applies to each side separately', () => {
    const tagged = entity('s3', 'tagged', ['hooks', 'prod'])
    const s = world({
      services: [jenkins, grafana, tagged],
      servicePolicies: [servicePolicy('p', 'dial', ['#ci'], ['#hooks', '#prod'], 'allOf')],
    })
    // one identity role is enough on the identity side; both service roles are needed on the other
    expect(isPermitted(s, 'i1', 's3', 'dial')).toBe(true)
    expect(isPermitted(s, 'i1', 's1', 'dial')).toBe(false)
  })

  it('dial and bind are separate', () => {
    const s = world({ servicePolicies: [servicePolicy('p', 'dial', ['#ci'], ['#hooks'])] })
    expect(isPermitted(s, 'i1', 's1', 'dial')).toBe(true)
    expect(isPermitted(s, 'i1', 's1', 'bind')).toBe(false)
    expect(permissionsOf(s, 'i1')).toEqual(perms(['i1', 's1', 'dial']))
    const both = world({
      servicePolicies: [
        servicePolicy('d', 'dial', ['#ci'], ['#hooks']),
        servicePolicy('b', 'bind', ['#hosts'], ['#hooks']),
      ],
    })
    expect(isPermitted(both, 'i3', 's1', 'bind')).toBe(true)
    expect(isPermitted(both, 'i3', 's1', 'dial')).toBe(false)
    expect(isPermitted(both, 'i1', 's1', 'bind')).toBe(false)
  })

  it('a disabled identity has nothing, even under #all', () => {
    const s = snapshot({
      identities: [identity('i1', 'runner', ['ci'], { disabled: true })],
      services: [jenkins],
      routers: [entity('r1', 'edge')],
      servicePolicies: [
        servicePolicy('p', 'dial', ['#all'], ['#all']),
        servicePolicy('q', 'bind', ['@runner'], ['#all']),
      ],
      routerPolicies: [routerPolicy('rp', ['#all'], ['#all'])],
    })
    expect(isPermitted(s, 'i1', 's1', 'dial')).toBe(false)
    expect(isPermitted(s, 'i1', 's1', 'bind')).toBe(false)
    expect(permissionsOf(s, 'i1')).toEqual([])
    expect(allPermissions(s).size).toBe(0)
    expect(allowedRouters(s, 'i1')).toEqual([])
  })

  it('admin and router identities never dial or bind', () => {
    const s = snapshot({
      identities: [
        identity('a1', 'admin', ['ci'], { kind: 'admin' }),
        identity('r1', 'edge', ['ci'], { kind: 'router' }),
      ],
      services: [jenkins],
      servicePolicies: [
        servicePolicy('p', 'dial', ['#all'], ['#all']),
        servicePolicy('q', 'bind', ['@admin', '@edge'], ['#all']),
      ],
    })
    expect(isPermitted(s, 'a1', 's1', 'dial')).toBe(false)
    expect(isPermitted(s, 'r1', 's1', 'bind')).toBe(false)
    expect(permissionsOf(s, 'a1')).toEqual([])
    expect(allPermissions(s).size).toBe(0)
  })

  it('an attribute update removes and adds permissions', () => {
    const policies = [
      servicePolicy('p', 'dial', ['#ci'], ['#hooks']),
      servicePolicy('q', 'dial', ['#ops'], ['#dash']),
    ]
    const before = world({ servicePolicies: policies })
    const after = world({
      identities: [identity('i1', 'runner', ['ops']), builder, host],
      servicePolicies: policies,
    })
    expect(permissionsOf(before, 'i1')).toEqual(perms(['i1', 's1', 'dial']))
    expect(permissionsOf(after, 'i1')).toEqual(perms(['i1', 's2', 'dial']))
    const serviceRetagged = world({
      services: [entity('s1', 'jenkins', ['dash']), grafana],
      servicePolicies: policies,
    })
    expect(isPermitted(serviceRetagged, 'i2', 's1', 'dial')).toBe(false)
  })

  it('unknown ids are never permitted', () => {
    const s = world({ servicePolicies: [servicePolicy('p', 'dial', ['#all'], ['#all'])] })
    expect(isPermitted(s, 'nobody', 's1', 'dial')).toBe(false)
    expect(isPermitted(s, 'i1', 'nothing', 'dial')).toBe(false)
    expect(permissionsOf(s, 'nobody')).toEqual([])
  })

  it('a stored role that no longer parses selects nothing (fail closed)', () => {
    const s = world({
      servicePolicies: [
        servicePolicy('p', 'dial', ['#ci', 'bad role'], ['#hooks']),
        servicePolicy('q', 'dial', [], ['#all'], 'allOf'),
      ],
    })
    expect(isPermitted(s, 'i1', 's1', 'dial')).toBe(false)
    expect(allPermissions(s).size).toBe(0)
    expect(permissionsOf(s, 'i1')).toEqual([])
  })
})

describe('permissionsOf and allPermissions', () => {
  const s = world({
    servicePolicies: [
      servicePolicy('p1', 'dial', ['#ci'], ['#all']),
      servicePolicy('p2', 'dial', ['@runner'], ['@jenkins']), // overlaps p1
      servicePolicy('p3', 'bind', ['#ci'], ['#hooks']),
    ],
  })

  it('lists each permission once, sorted by service then action', () => {
    expect(permissionsOf(s, 'i1')).toEqual([
      { identityId: 'i1', serviceId: 's1', action: 'bind' },
      { identityId: 'i1', serviceId: 's1', action: 'dial' },
      { identityId: 'i1', serviceId: 's2', action: 'dial' },
    ])
  })

  it('keys every permission as identity|service|action', () => {
    const all = allPermissions(s)
    expect([...all.keys()].sort()).toEqual([
      'i1|s1|bind',
      'i1|s1|dial',
      'i1|s2|dial',
      'i2|s1|bind',
      'i2|s1|dial',
      'i2|s2|dial',
    ])
    expect(all.get('i2|s2|dial')).toEqual({ identityId: 'i2', serviceId: 's2', action: 'dial' })
  })

  it('agree with each other and with isPermitted', () => {
    const all = allPermissions(s)
    for (const i of s.identities) {
      expect(permissionsOf(s, i.id)).toEqual(
        [...all.values()].filter((p) => p.identityId === i.id).sort(comparePermissions),
      )
      for (const svc of s.services) {
        for (const action of ['dial', 'bind'] as const) {
          expect(all.has(`${i.id}|${svc.id}|${action}`)).toBe(isPermitted(s, i.id, svc.id, action))
        }
      }
    }
  })
})

describe('allowedRouters', () => {
  const routers = [
    entity('r2', 'edge-eu', ['eu']),
    entity('r1', 'edge-us', ['us']),
    entity('r3', 'core', []),
  ]

  it('with no router policy no router is allowed', () => {
    expect(allowedRouters(world({ routers }), 'i1')).toEqual([])
  })

  it('a default #all/#all policy allows every router, sorted by id', () => {
    const s = world({ routers, routerPolicies: [routerPolicy('default', ['#all'], ['#all'])] })
    expect(allowedRouters(s, 'i1')).toEqual(['r1', 'r2', 'r3'])
  })

  it('router policies select identities and routers by role', () => {
    const s = world({
      routers,
      routerPolicies: [
        routerPolicy('eu', ['#deploy'], ['#eu']),
        routerPolicy('core', ['@runner', '@i3'], ['@core', '@r1']),
      ],
    })
    expect(allowedRouters(s, 'i1')).toEqual(['r1', 'r3'])
    expect(allowedRouters(s, 'i2')).toEqual(['r2'])
    expect(allowedRouters(s, 'i3')).toEqual(['r1', 'r3'])
    expect([...allRouterAccess(s).keys()].sort()).toEqual([
      'i1|r1',
      'i1|r3',
      'i2|r2',
      'i3|r1',
      'i3|r3',
    ])
  })

  it('allOf needs every router role', () => {
    const s = world({
      routers,
      routerPolicies: [routerPolicy('p', ['#ci'], ['#eu', '#us'], 'allOf')],
    })
    expect(allowedRouters(s, 'i1')).toEqual([])
  })
})
