import type {
  Entity,
  IdentityEntity,
  PolicySnapshot,
  RouterPolicy,
  Semantic,
  ServicePolicy,
} from '../policy/types.js'
import type { Queryable } from '../store/types.js'
import { strings } from './records.js'

/**
 * Every row the policy engine needs, in one statement: one statement sees one committed state
 * in both databases, so no transaction is needed for a consistent view, and a shared store
 * answers in one round trip instead of six.
 */
const SNAPSHOT_SQL = `
  SELECT 'i' AS t, id, name, kind AS a, attributes AS b, CAST(disabled AS TEXT) AS c, NULL AS d FROM identities
  UNION ALL SELECT 'p', id, name, type, identity_roles, service_roles, semantic FROM service_policies
  UNION ALL SELECT 'q', id, name, NULL, identity_roles, router_roles, semantic FROM router_policies
  UNION ALL SELECT 'r', id, name, address, attributes, NULL, NULL FROM routers
  UNION ALL SELECT 's', id, name, NULL, attributes, NULL, NULL FROM services
  ORDER BY 1, 3`

interface Row {
  t: 'i' | 'p' | 'q' | 'r' | 's'
  id: string
  name: string
  a: string | null
  b: string
  c: string | null
  d: string | null
}

/** The policy snapshot, and where each router said it accepts endpoints (null until it did). */
export async function loadSnapshotWithAddresses(
  db: Queryable,
): Promise<{ snapshot: PolicySnapshot; addresses: Map<string, string | null> }> {
  const identities: IdentityEntity[] = []
  const services: Entity[] = []
  const routers: Entity[] = []
  const servicePolicies: ServicePolicy[] = []
  const routerPolicies: RouterPolicy[] = []
  const addresses = new Map<string, string | null>()
  for (const r of await db.all<Row>(SNAPSHOT_SQL)) {
    const base = { id: r.id, name: r.name }
    if (r.t === 'i')
      identities.push({
        ...base,
        kind: r.a as IdentityEntity['kind'],
        attributes: strings(r.b),
        disabled: r.c === '1',
      })
    else if (r.t === 's') services.push({ ...base, attributes: strings(r.b) })
    else if (r.t === 'r') {
      routers.push({ ...base, attributes: strings(r.b) })
      addresses.set(r.id, r.a)
    } else if (r.t === 'p')
      servicePolicies.push({
        ...base,
        type: r.a as ServicePolicy['type'],
        identityRoles: strings(r.b),
        serviceRoles: strings(r.c!),
        semantic: r.d as Semantic,
      })
    else
      routerPolicies.push({
        ...base,
        identityRoles: strings(r.b),
        routerRoles: strings(r.c!),
        semantic: r.d as Semantic,
      })
  }
  return {
    snapshot: { identities, services, routers, servicePolicies, routerPolicies },
    addresses,
  }
}

/** Everything the policy engine needs, read in one statement (one consistent state). */
export async function loadSnapshot(db: Queryable): Promise<PolicySnapshot> {
  return (await loadSnapshotWithAddresses(db)).snapshot
}
