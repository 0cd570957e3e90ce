import { describe, expect, it } from 'vitest'
import { applyProposedChange, findByRef, type ProposedChange } from './apply-change.js'
import { addedPermissions, addedRouterAccess, lostPermissions, lostRouterAccess } from './diff.js'
import {
  entity,
  identity,
  perms,
  routerPolicy,
  servicePolicy,
  snapshot,
  thrownCode,
} from './fixtures.test-util.js'
import type { PolicySnapshot } from './types.js'

const runner = identity('i1', 'runner', ['ci'])
const host = identity('i2', 'host', ['hosts'])
const jenkins = entity('s1', 'jenkins', ['hooks'])
const grafana = entity('s2', 'grafana', ['dash'])
const edge = entity('r1', 'edge', ['eu'])

const before: PolicySnapshot = Object.freeze(
  snapshot({
    identities: [runner, host],
    services: [jenkins, grafana],
    routers: [edge],
    servicePolicies: [
      servicePolicy('ci-dial', 'dial', ['#ci'], ['#hooks']),
      servicePolicy('host-bind', 'bind', ['#hosts'], ['#hooks', '#dash']),
    ],
    routerPolicies: [routerPolicy('default', ['#all'], ['#all'])],
  }),
)

/** What `p` would grant and take away, as permission triples. */
function diff(p: ProposedChange) {
  const after = applyProposedChange(before, p)
  return {
    added: addedPermissions(before, after),
    removed: lostPermissions(before, after),
    addedRouters: addedRouterAccess(before, after),
    removedRouters: lostRouterAccess(before, after),
  }
}

describe('applyProposedChange', () => {
  it('creates identities and services in memory: what their attributes grant at once', () => {
    const identity = diff({
      change: 'identity.create',
      body: { name: 'runner-2', attributes: ['ci'] },
    })
    expect(identity.added).toEqual(perms(['(preview)', 's1', 'dial']))
    expect(identity.removed).toEqual([])
    const service = diff({ change: 'service.create', body: { name: 'loki', attributes: ['dash'] } })
    expect(service.added).toEqual(perms(['i2', '(preview)', 'bind']))
    expect(diff({ change: 'service.create', body: { name: 'bare' } }).added).toEqual([])
    expect(thrownCode(() => diff({ change: 'identity.create', body: { name: 'runner' } }))).toBe(
      'ZH_NAME_TAKEN',
    )
    expect(thrownCode(() => diff({ change: 'service.create', body: { name: 'bad name!' } }))).toBe(
      'ZH_NAME_INVALID',
    )
    expect(
      thrownCode(() =>
        diff({ change: 'identity.create', body: { name: 'x', attributes: ['#nope'] } }),
      ),
    ).toBe('ZH_ATTRIBUTE_INVALID')
  })

  it('creates, updates and deletes service policies in memory', () => {
    const created = diff({
      change: 'service-policy.create',
      body: {
        name: 'grafana-dial',
        type: 'dial',
        identityRoles: ['@runner'],
        serviceRoles: ['#dash'],
      },
    })
    expect(created.added).toEqual(perms(['i1', 's2', 'dial']))
    expect(created.removed).toEqual([])
    const updated = diff({
      change: 'service-policy.update',
      ref: 'host-bind',
      body: { serviceRoles: ['#dash'] },
    })
    expect(updated).toMatchObject({ added: [], removed: perms(['i2', 's1', 'bind']) })
    const deleted = diff({ change: 'service-policy.delete', ref: 'ci-dial' })
    expect(deleted).toMatchObject({ added: [], removed: perms(['i1', 's1', 'dial']) })
  })

  it('creates and deletes router policies', () => {
    expect(diff({ change: 'router-policy.delete', ref: 'default' }).removedRouters).toEqual([
      { identityId: 'i1', routerId: 'r1' },
      { identityId: 'i2', routerId: 'r1' },
    ])
    const created = diff({
      change: 'router-policy.create',
      body: { name: 'eu', identityRoles: ['#ci'], routerRoles: ['#eu'], semantic: 'allOf' },
    })
    expect(created.addedRouters).toEqual([]) // already allowed by the default policy
    expect(created.removedRouters).toEqual([])
  })

  it('updates and deletes identities and services, by name or id', () => {
    expect(
      diff({ change: 'identity.update', ref: 'i1', body: { disabled: true } }).removed,
    ).toEqual(perms(['i1', 's1', 'dial']))
    const moved = diff({
      change: 'identity.update',
      ref: 'runner',
      body: { attributes: ['hosts'] },
    })
    expect(moved.added).toEqual(perms(['i1', 's1', 'bind'], ['i1', 's2', 'bind']))
    expect(moved.removed).toEqual(perms(['i1', 's1', 'dial']))
    expect(diff({ change: 'identity.delete', ref: 'host' }).removed).toEqual(
      perms(['i2', 's1', 'bind'], ['i2', 's2', 'bind']),
    )
    expect(diff({ change: 'service.update', ref: 's2', body: { attributes: [] } }).removed).toEqual(
      perms(['i2', 's2', 'bind']),
    )
    expect(diff({ change: 'service.delete', ref: 'jenkins' }).removed).toEqual(
      perms(['i1', 's1', 'dial'], ['i2', 's1', 'bind']),
    )
  })

  it('a rename changes what @name roles select', () => {
    const s = {
      ...before,
      servicePolicies: [servicePolicy('p', 'dial', ['@runner'], ['@grafana'])],
    }
    const after = applyProposedChange(s, {
      change: 'service.update',
      ref: 'grafana',
      body: { name: 'grafana2' },
    })
    expect(lostPermissions(s, after)).toEqual(perms(['i1', 's2', 'dial']))
  })

  it('never changes its input', () => {
    const copy = structuredClone(before)
    applyProposedChange(before, { change: 'identity.update', ref: 'runner', body: { name: 'r2' } })
    applyProposedChange(before, { change: 'service-policy.delete', ref: 'ci-dial' })
    expect(before).toEqual(copy)
  })

  it('refuses what the real op refuses, with the same codes', () => {
    const code = (p: ProposedChange) => thrownCode(() => applyProposedChange(before, p))
    const policy = { type: 'dial', identityRoles: ['#ci'], serviceRoles: ['#all'] }
    expect(code({ change: 'service.rename', ref: 'x' })).toBe('ZH_BAD_REQUEST')
    expect(code({ change: 'service-policy.create', body: { ...policy, name: '-x' } })).toBe(
      'ZH_NAME_INVALID',
    )
    expect(code({ change: 'service-policy.create', body: { ...policy, name: 'ci-dial' } })).toBe(
      'ZH_NAME_TAKEN',
    )
    expect(
      code({ change: 'service-policy.create', body: { ...policy, name: 'p', type: 'x' } }),
    ).toBe('ZH_BAD_REQUEST')
    expect(
      code({
        change: 'service-policy.create',
        body: { ...policy, name: 'p', identityRoles: ['ci'] },
      }),
    ).toBe('ZH_ROLE_INVALID')
    expect(
      code({ change: 'service-policy.update', ref: 'ci-dial', body: { serviceRoles: [] } }),
    ).toBe('ZH_ROLE_INVALID')
    expect(
      code({ change: 'service-policy.update', ref: 'ci-dial', body: { semantic: 'oneOf' } }),
    ).toBe('ZH_BAD_REQUEST')
    // Input is checked before the lookup, as in the real op.
    expect(
      code({ change: 'service-policy.update', ref: 'none', body: { serviceRoles: ['x'] } }),
    ).toBe('ZH_ROLE_INVALID')
    expect(code({ change: 'service-policy.update', ref: 'none' })).toBe('ZH_POLICY_NOT_FOUND')
    expect(code({ change: 'router-policy.delete', ref: 'ci-dial' })).toBe('ZH_POLICY_NOT_FOUND')
    expect(
      code({
        change: 'router-policy.create',
        body: { name: 'default', identityRoles: ['#all'], routerRoles: ['#all'] },
      }),
    ).toBe('ZH_NAME_TAKEN')
    expect(code({ change: 'identity.update', ref: 'nobody', body: {} })).toBe(
      'ZH_IDENTITY_NOT_FOUND',
    )
    expect(code({ change: 'identity.update', ref: 'runner', body: { name: 'host' } })).toBe(
      'ZH_NAME_TAKEN',
    )
    expect(code({ change: 'identity.update', ref: 'runner', body: { attributes: ['all'] } })).toBe(
      'ZH_ATTRIBUTE_INVALID',
    )
    expect(code({ change: 'identity.update', ref: 'runner', body: { disabled: 'yes' } })).toBe(
      'ZH_BAD_REQUEST',
    )
    expect(code({ change: 'identity.delete' })).toBe('ZH_BAD_REQUEST')
    expect(code({ change: 'service.update', ref: 'nothing', body: { name: 'x' } })).toBe(
      'ZH_SERVICE_NOT_FOUND',
    )
    expect(code({ change: 'service.update', ref: 'jenkins', body: { name: 'bad name' } })).toBe(
      'ZH_NAME_INVALID',
    )
    expect(code({ change: 'service.delete', ref: 'nothing' })).toBe('ZH_SERVICE_NOT_FOUND')
  })

  it('a rename to its own name is not a conflict', () => {
    const after = applyProposedChange(before, {
      change: 'identity.update',
      ref: 'runner',
      body: { name: 'runner' },
    })
    expect(after.identities).toEqual(before.identities)
  })
})

describe('findByRef', () => {
  it('prefers an id to a name', () => {
    const items = [entity('a', 'b'), entity('b', 'c')]
    expect(findByRef(items, 'b', 'ZH_SERVICE_NOT_FOUND').name).toBe('c')
    expect(findByRef(items, 'c', 'ZH_SERVICE_NOT_FOUND').id).toBe('b')
    expect(thrownCode(() => findByRef(items, 'x', 'ZH_SERVICE_NOT_FOUND'))).toBe(
      'ZH_SERVICE_NOT_FOUND',
    )
  })
})
