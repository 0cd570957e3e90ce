import type { ControllerContext } from '../context.js'
import { signGrant } from '../grants/token.js'
import { loadSnapshotWithAddresses } from '../model/snapshot.js'
import { allowedRouters, permissionsOf } from '../policy/engine.js'
import type { Action } from '../policy/types.js'

/** One signed grant as handed to an endpoint. */
export interface GrantView {
  service: { id: string; name: string }
  action: Action
  token: string
  expiresAt: string
}

/** An identity's grants, the services it may use, and the routers it may connect to. */
export interface GrantsResponse {
  identity: { id: string; name: string; attributes: readonly string[] }
  grants: GrantView[]
  services: { id: string; name: string; attributes: readonly string[]; actions: Action[] }[]
  /** Routers the identity may use; `address` is where each accepts endpoints (null until it reported). */
  routers: { id: string; name: string; address: string | null }[]
  /** The network's knock keys, current first: what the routers' connections open with. */
  knock?: string[]
}

/**
 * Signs one grant per permitted (service, action), bound to the certificate the identity
 * authenticated with and to the routers it may use. A grant never outlives that certificate.
 */
export async function grantsFor(
  ctx: ControllerContext,
  principal: { id: string; fingerprint: string; notAfter?: number },
  now = Date.now(),
): Promise<GrantsResponse> {
  const certLeft =
    principal.notAfter === undefined ? Infinity : Math.floor((principal.notAfter - now) / 1000)
  const ttl = Math.max(1, Math.min(ctx.settings.grantTtl, certLeft))
  const { snapshot, addresses } = await loadSnapshotWithAddresses(ctx.db)
  const identity = snapshot.identities.find((i) => i.id === principal.id)!
  const routerIds = allowedRouters(snapshot, principal.id)
  const permissions = permissionsOf(snapshot, principal.id)
  const servicesById = new Map(snapshot.services.map((s) => [s.id, s]))
  const grants: GrantView[] = []
  const services = new Map<string, GrantsResponse['services'][number]>()
  for (const p of permissions) {
    const service = servicesById.get(p.serviceId)!
    const { token, claims } = await signGrant(
      ctx.signingKey,
      {
        sub: principal.id,
        net: ctx.network,
        svc: service.id,
        sn: service.name,
        act: p.action,
        cfp: principal.fingerprint,
        rtr: routerIds,
        nm: identity.name,
      },
      ttl,
      now,
    )
    grants.push({
      service: { id: service.id, name: service.name },
      action: p.action,
      token,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
    })
    const entry = services.get(service.id) ?? {
      id: service.id,
      name: service.name,
      attributes: service.attributes,
      actions: [],
    }
    entry.actions.push(p.action)
    services.set(service.id, entry)
  }
  ctx.metrics?.grants.inc(grants.length)
  const routers = snapshot.routers
    .filter((r) => routerIds.includes(r.id))
    .map((r) => ({ id: r.id, name: r.name, address: addresses.get(r.id) ?? null }))
  return {
    identity: { id: identity.id, name: identity.name, attributes: identity.attributes },
    grants,
    services: [...services.values()],
    routers,
    ...(ctx.knock ? { knock: ctx.knock.keys() } : {}),
  }
}
