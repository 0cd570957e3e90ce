import { afterAll, beforeAll, expect, it } from 'vitest'
import type { ZhCode } from '../../errors.js'
import { codeOf } from '../../errors.test-util.js'
import { ControllerClient } from '../../sdk/controller-client.js'
import { enrollWithToken } from '../../sdk/enroll.js'
import type { ChangeEvent } from '../changes.js'
import { startTestController, type TestController } from '../controller.test-util.js'
import { loadSnapshot } from '../model/snapshot.js'
import type { Preview } from '../ops/preview.js'
import type { ProposedChange } from '../policy/apply-change.js'
import { addedPermissions, addedRouterAccess } from '../policy/diff.js'
import { comparePermissions } from '../policy/engine.js'
import { prng } from '../policy/fixtures.test-util.js'
import { compareStrings } from '../policy/order.js'
import type { Permission, RouterAccess } from '../policy/types.js'
import { describeStores } from '../store/pg.test-util.js'

const bases: Record<string, string> = {
  'service-policy': '/v1/service-policies',
  'router-policy': '/v1/router-policies',
  identity: '/v1/identities',
  service: '/v1/services',
}

/** The real route a proposed change stands for. */
function realCall(admin: ControllerClient, p: ProposedChange): Promise<unknown> {
  const [thing, verb] = p.change.split('.') as [string, string]
  const base = bases[thing]!
  if (verb === 'create') return admin.call('POST', base, p.body)
  const url = `${base}/${encodeURIComponent(p.ref!)}`
  return verb === 'update' ? admin.call('PATCH', url, p.body) : admin.call('DELETE', url)
}

const ids = (views: Preview['added']): Permission[] =>
  views
    .map((v) => ({ identityId: v.identity.id, serviceId: v.service.id, action: v.action }))
    .sort(comparePermissions)
const routerIds = (views: Preview['addedRouterAccess']): RouterAccess[] =>
  views
    .map((v) => ({ identityId: v.identity.id, routerId: v.router.id }))
    .sort(
      (a, b) =>
        compareStrings(a.identityId, b.identityId) || compareStrings(a.routerId, b.routerId),
    )

describeStores('permission preview and access API', (store) => {
  let c: TestController
  let admin: ControllerClient
  const id: Record<string, string> = {}

  beforeAll(async () => {
    c = await startTestController(store)
    admin = new ControllerClient(c.admin)
    for (const [name, attributes] of [
      ['app', ['ci']],
      ['host', ['hosts']],
    ] as const) {
      const r = await admin.call<{ identity: { id: string } }>('POST', '/v1/identities', {
        name,
        attributes,
      })
      id[name] = r.identity.id
    }
    for (const [name, attributes] of [
      ['jenkins', ['hooks']],
      ['grafana', ['dash']],
    ] as const) {
      const r = await admin.call<{ service: { id: string } }>('POST', '/v1/services', {
        name,
        attributes,
      })
      id[name] = r.service.id
    }
    const r = await admin.call<{ router: { id: string } }>('POST', '/v1/routers', {
      name: 'edge',
      attributes: ['eu'],
    })
    id.edge = r.router.id
    const policies = [
      { name: 'ci-dial', type: 'dial', identityRoles: ['#ci'], serviceRoles: ['#hooks'] },
      { name: 'app-dial', type: 'dial', identityRoles: ['@app'], serviceRoles: ['@jenkins'] },
      { name: 'host-bind', type: 'bind', identityRoles: ['#hosts'], serviceRoles: ['#all'] },
    ]
    for (const p of policies) await admin.call('POST', '/v1/service-policies', p)
  })
  afterAll(() => c.stop())

  async function expectRefused(call: () => Promise<unknown>, code: ZhCode) {
    const before = await c.dump()
    expect(await codeOf(call())).toBe(code)
    expect(await c.dump()).toEqual(before)
  }

  it('previews what a change grants and removes, and writes nothing', async () => {
    const before = await c.dump()
    const preview = (p: ProposedChange) => admin.call<Preview>('POST', '/v1/previews', p)
    // app can still dial jenkins through app-dial: deleting ci-dial alone removes nothing.
    expect(await preview({ change: 'service-policy.delete', ref: 'ci-dial' })).toEqual({
      added: [],
      removed: [],
      addedRouterAccess: [],
      removedRouterAccess: [],
    })
    const app = { id: id.app, name: 'app' }
    const host = { id: id.host, name: 'host' }
    expect(
      await preview({ change: 'identity.update', ref: 'host', body: { attributes: ['ci'] } }),
    ).toEqual({
      added: [{ identity: host, service: { id: id.jenkins, name: 'jenkins' }, action: 'dial' }],
      removed: [
        { identity: host, service: { id: id.grafana, name: 'grafana' }, action: 'bind' },
        { identity: host, service: { id: id.jenkins, name: 'jenkins' }, action: 'bind' },
      ],
      addedRouterAccess: [],
      removedRouterAccess: [],
    })
    const edge = { id: id.edge, name: 'edge' }
    const noRouters = await preview({ change: 'router-policy.delete', ref: 'default' })
    expect(noRouters.removedRouterAccess).toEqual([
      { identity: app, router: edge },
      { identity: host, router: edge },
    ])
    expect(await c.dump()).toEqual(before)
  })

  it('refuses a bad preview with the codes the real route gives', async () => {
    const preview = (p: unknown) => () => admin.call('POST', '/v1/previews', p)
    const policy = { type: 'dial', identityRoles: ['#ci'], serviceRoles: ['#all'] }
    const cases: [unknown, ZhCode][] = [
      [{ change: 'service.rename', ref: 'jenkins' }, 'ZH_BAD_REQUEST'],
      [{ change: 'service.delete' }, 'ZH_BAD_REQUEST'],
      [{ change: 'service-policy.create' }, 'ZH_BAD_REQUEST'],
      [
        { change: 'service-policy.create', body: { ...policy, name: 'x', extra: 1 } },
        'ZH_BAD_REQUEST',
      ],
      [{ change: 'identity.update', ref: 'app', body: { disabled: 'yes' } }, 'ZH_BAD_REQUEST'],
      [
        { change: 'service-policy.create', body: { ...policy, name: 'bad name' } },
        'ZH_NAME_INVALID',
      ],
      [{ change: 'service-policy.create', body: { ...policy, name: 'ci-dial' } }, 'ZH_NAME_TAKEN'],
      [
        { change: 'service-policy.create', body: { ...policy, name: 'x', serviceRoles: ['all'] } },
        'ZH_ROLE_INVALID',
      ],
      [{ change: 'service-policy.update', ref: 'none', body: {} }, 'ZH_POLICY_NOT_FOUND'],
      [{ change: 'identity.delete', ref: 'nobody' }, 'ZH_IDENTITY_NOT_FOUND'],
      [{ change: 'service.update', ref: 'nothing', body: {} }, 'ZH_SERVICE_NOT_FOUND'],
      [{ change: 'service.update', ref: 'jenkins', body: { name: 'grafana' } }, 'ZH_NAME_TAKEN'],
    ]
    for (const [body, code] of cases) await expectRefused(preview(body), code)
  })

  it('explains who may reach a service and what an identity may reach', async () => {
    const app = { id: id.app, name: 'app' }
    const host = { id: id.host, name: 'host' }
    const jenkins = { id: id.jenkins, name: 'jenkins' }
    expect(await admin.call('GET', '/v1/services/jenkins/access')).toEqual({
      service: jenkins,
      dial: [{ identity: app, policies: ['app-dial', 'ci-dial'] }],
      bind: [{ identity: host, policies: ['host-bind'] }],
    })
    expect(await admin.call('GET', `/v1/identities/${id.app}/access`)).toEqual({
      identity: app,
      services: [
        { service: jenkins, actions: [{ action: 'dial', policies: ['app-dial', 'ci-dial'] }] },
      ],
      routers: [{ id: id.edge, name: 'edge', policies: ['default'] }],
    })
    // The admin identity uses no service (as in the engine), whatever the policies say.
    expect(await admin.call('GET', '/v1/identities/admin/access')).toMatchObject({
      services: [],
      routers: [],
    })
    await expectRefused(
      () => admin.call('GET', '/v1/services/nothing/access'),
      'ZH_SERVICE_NOT_FOUND',
    )
    await expectRefused(
      () => admin.call('GET', '/v1/identities/nobody/access'),
      'ZH_IDENTITY_NOT_FOUND',
    )
  })

  it('is admin-only and documented in the OpenAPI document', async () => {
    const r = await admin.call<{ enrollment: { token: string } }>('POST', '/v1/identities', {
      name: 'viewer',
    })
    const viewer = new ControllerClient(await enrollWithToken(r.enrollment.token))
    await expectRefused(
      () => viewer.call('GET', '/v1/services/jenkins/access'),
      'ZH_AUTH_ADMIN_REQUIRED',
    )
    await expectRefused(
      () => viewer.call('GET', '/v1/identities/viewer/access'),
      'ZH_AUTH_ADMIN_REQUIRED',
    )
    await expectRefused(
      () => viewer.call('POST', '/v1/previews', { change: 'identity.delete', ref: 'app' }),
      'ZH_AUTH_ADMIN_REQUIRED',
    )
    const doc = await viewer.call<{ paths: Record<string, unknown> }>('GET', '/v1/openapi.json')
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/previews',
        '/v1/services/{ref}/access',
        '/v1/identities/{ref}/access',
      ]),
    )
  })

  it('previews exactly what the real op then does, for random changes', async () => {
    const events: ChangeEvent[] = []
    c.ctx.events.on('change', (e: ChangeEvent) => events.push(e))
    const random = prng(14)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
    const role = () =>
      random() < 0.1 ? 'bad' : pick(['#ci', '#hooks', '#dash', '#hosts', '#eu', '#all', '@app'])
    const roles = () => (random() < 0.6 ? [role()] : [role(), role()])
    const attrs = () => ['ci', 'hooks', 'dash', 'hosts', 'eu'].filter(() => random() < 0.3)
    const names = ['app', 'host', 'jenkins', 'grafana', 'p1', 'p2', 'n1', 'bad name', 'ci-dial']
    let applied = 0
    let created = 0
    for (let step = 0; step < 80; step++) {
      // Keep the world populated: deletes would otherwise empty it.
      if (step % 4 === 0) {
        const name = `e${step}`
        await admin.call('POST', pick(['/v1/services', '/v1/identities', '/v1/routers']), {
          name,
          attributes: attrs(),
        })
        names.push(name)
      }
      const change = pick([
        'service-policy.create',
        'service-policy.update',
        'service-policy.delete',
        'router-policy.create',
        'router-policy.delete',
        'identity.create',
        'identity.update',
        'identity.delete',
        'service.create',
        'service.update',
        'service.delete',
      ])
      const semantic = pick(['anyOf', 'allOf'])
      const body: Record<string, unknown> = change.endsWith('policy.create')
        ? change.startsWith('service')
          ? {
              name: pick(names),
              type: pick(['dial', 'bind']),
              identityRoles: roles(),
              serviceRoles: roles(),
              semantic,
            }
          : { name: pick(names), identityRoles: roles(), routerRoles: roles(), semantic }
        : change === 'service-policy.update'
          ? { serviceRoles: roles(), semantic }
          : change === 'identity.create' || change === 'service.create'
            ? { name: random() < 0.8 ? `c${step}` : pick(names), attributes: attrs() }
            : random() < 0.5
              ? { attributes: attrs() }
              : {
                  name: pick(names),
                  ...(change === 'identity.update' ? { disabled: random() < 0.3 } : {}),
                }
      const snapshotBefore = await loadSnapshot(c.ctx.db)
      // Mostly something that exists (never the admin, whom the test needs), sometimes not.
      const existing = {
        'service-policy': snapshotBefore.servicePolicies,
        'router-policy': snapshotBefore.routerPolicies,
        identity: snapshotBefore.identities.filter((i) => i.kind !== 'admin'),
        service: snapshotBefore.services,
      }[change.split('.')[0]!]!.map((x) => x.name)
      const ref = random() < 0.85 && existing.length > 0 ? pick(existing) : 'nobody'
      const p: ProposedChange = change.endsWith('create')
        ? { change, body }
        : { change, ref, ...(change.endsWith('update') ? { body } : {}) }
      const dumped = await c.dump()
      let preview: Preview | undefined
      const previewCode = await codeOf(
        admin.call<Preview>('POST', '/v1/previews', p).then((r) => (preview = r)),
      )
      expect(await c.dump()).toEqual(dumped)
      events.length = 0
      const realCode = await codeOf(realCall(admin, p))
      expect(realCode, `step ${step}: ${JSON.stringify(p)}`).toBe(previewCode)
      if (preview === undefined) continue
      applied++
      const snapshotAfter = await loadSnapshot(c.ctx.db)
      // A created identity or service is "(preview)" in the preview: the real one has its id now.
      const known = new Set(
        [...snapshotBefore.identities, ...snapshotBefore.services].map((x) => x.id),
      )
      const createdId = [...snapshotAfter.identities, ...snapshotAfter.services].find(
        (x) => !known.has(x.id),
      )?.id
      const real = <T extends { identity: { id: string }; service?: { id: string } }>(v: T): T => ({
        ...v,
        identity: { ...v.identity, id: v.identity.id === '(preview)' ? createdId : v.identity.id },
        ...(v.service
          ? {
              service: {
                ...v.service,
                id: v.service.id === '(preview)' ? createdId : v.service.id,
              },
            }
          : {}),
      })
      expect(ids(preview.removed)).toEqual(events.flatMap((e) => e.lost))
      expect(routerIds(preview.removedRouterAccess)).toEqual(
        events.flatMap((e) => e.lostRouterAccess),
      )
      expect(ids(preview.added.map(real))).toEqual(addedPermissions(snapshotBefore, snapshotAfter))
      expect(routerIds(preview.addedRouterAccess.map(real))).toEqual(
        addedRouterAccess(snapshotBefore, snapshotAfter),
      )
      if (change.endsWith('.create') && !change.includes('policy')) created++
    }
    expect(applied).toBeGreaterThan(25)
    expect(created).toBeGreaterThan(3)
  })
})
