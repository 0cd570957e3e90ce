import type { PolicySnapshot } from '../policy/types.js'
import type { Queryable } from '../store/types.js'
import { entityEntities } from './entities.js'
import { identityEntities } from './identities.js'
import { listRouterPolicies, listServicePolicies } from './policies.js'

/** Everything the policy engine needs (read inside a transaction for a consistent view). */
export async function loadSnapshot(db: Queryable): Promise<PolicySnapshot> {
  return {
    identities: await identityEntities(db),
    services: await entityEntities(db, 'services'),
    routers: await entityEntities(db, 'routers'),
    servicePolicies: await listServicePolicies(db),
    routerPolicies: await listRouterPolicies(db),
  }
}
