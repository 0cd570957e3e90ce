import type { PolicySnapshot } from '../policy/types.js'
import type { Db } from '../store/db.js'
import { entityEntities } from './entities.js'
import { identityEntities } from './identities.js'
import { listRouterPolicies, listServicePolicies } from './policies.js'

/** Everything the policy engine needs, read in one pass (call inside a transaction for consistency). */
export function loadSnapshot(db: Db): PolicySnapshot {
  return {
    identities: identityEntities(db),
    services: entityEntities(db, 'services'),
    routers: entityEntities(db, 'routers'),
    servicePolicies: listServicePolicies(db),
    routerPolicies: listRouterPolicies(db),
  }
}
