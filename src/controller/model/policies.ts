import type { RouterPolicy, Semantic, ServicePolicy } from '../policy/types.js'
import type { Queryable } from '../store/types.js'
import { assertNameFree, findRow, iso, newId, strings } from './records.js'

/** A service policy as the API shows it. */
export interface ServicePolicyRecord extends ServicePolicy {
  identityRoles: string[]
  serviceRoles: string[]
  createdAt: string
}

/** A router policy as the API shows it. */
export interface RouterPolicyRecord extends RouterPolicy {
  identityRoles: string[]
  routerRoles: string[]
  createdAt: string
}

interface ServiceRow {
  id: string
  name: string
  type: 'dial' | 'bind'
  identity_roles: string
  service_roles: string
  semantic: Semantic
  created_at: number
}

interface RouterRow {
  id: string
  name: string
  identity_roles: string
  router_roles: string
  semantic: Semantic
  created_at: number
}

function toServicePolicy(r: ServiceRow): ServicePolicyRecord {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    identityRoles: strings(r.identity_roles),
    serviceRoles: strings(r.service_roles),
    semantic: r.semantic,
    createdAt: iso(r.created_at),
  }
}

function toRouterPolicy(r: RouterRow): RouterPolicyRecord {
  return {
    id: r.id,
    name: r.name,
    identityRoles: strings(r.identity_roles),
    routerRoles: strings(r.router_roles),
    semantic: r.semantic,
    createdAt: iso(r.created_at),
  }
}

/** Inserts a dial or bind policy. Roles must already be checked. */
export async function insertServicePolicy(
  db: Queryable,
  input: Omit<ServicePolicy, 'id'>,
  now = Date.now(),
): Promise<ServicePolicyRecord> {
  await assertNameFree(db, 'service_policies', input.name)
  const id = newId()
  await db.run(
    'INSERT INTO service_policies (id, name, type, identity_roles, service_roles, semantic, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [
      id,
      input.name,
      input.type,
      JSON.stringify(input.identityRoles),
      JSON.stringify(input.serviceRoles),
      input.semantic,
      now,
      now,
    ],
  )
  return getServicePolicy(db, id)
}

/** Finds a service policy by id or name. */
export async function getServicePolicy(db: Queryable, ref: string): Promise<ServicePolicyRecord> {
  return toServicePolicy(await findRow<ServiceRow>(db, 'service_policies', ref))
}

/** Every service policy, ordered by name. */
export async function listServicePolicies(db: Queryable): Promise<ServicePolicyRecord[]> {
  return (await db.all<ServiceRow>('SELECT * FROM service_policies ORDER BY name')).map(
    toServicePolicy,
  )
}

/** Replaces the roles or semantic of a service policy. */
export async function updateServicePolicy(
  db: Queryable,
  ref: string,
  patch: { identityRoles?: string[]; serviceRoles?: string[]; semantic?: Semantic },
  now = Date.now(),
): Promise<ServicePolicyRecord> {
  const p = await getServicePolicy(db, ref)
  await db.run(
    'UPDATE service_policies SET identity_roles = ?, service_roles = ?, semantic = ?, updated_at = ? WHERE id = ?',
    [
      JSON.stringify(patch.identityRoles ?? p.identityRoles),
      JSON.stringify(patch.serviceRoles ?? p.serviceRoles),
      patch.semantic ?? p.semantic,
      now,
      p.id,
    ],
  )
  return getServicePolicy(db, p.id)
}

/** Deletes a service policy. */
export async function deleteServicePolicy(
  db: Queryable,
  ref: string,
): Promise<ServicePolicyRecord> {
  const p = await getServicePolicy(db, ref)
  await db.run('DELETE FROM service_policies WHERE id = ?', [p.id])
  return p
}

/** Inserts a router policy. Roles must already be checked. */
export async function insertRouterPolicy(
  db: Queryable,
  input: Omit<RouterPolicy, 'id'>,
  now = Date.now(),
): Promise<RouterPolicyRecord> {
  await assertNameFree(db, 'router_policies', input.name)
  const id = newId()
  await db.run(
    'INSERT INTO router_policies (id, name, identity_roles, router_roles, semantic, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
    [
      id,
      input.name,
      JSON.stringify(input.identityRoles),
      JSON.stringify(input.routerRoles),
      input.semantic,
      now,
      now,
    ],
  )
  return getRouterPolicy(db, id)
}

/** Finds a router policy by id or name. */
export async function getRouterPolicy(db: Queryable, ref: string): Promise<RouterPolicyRecord> {
  return toRouterPolicy(await findRow<RouterRow>(db, 'router_policies', ref))
}

/** Every router policy, ordered by name. */
export async function listRouterPolicies(db: Queryable): Promise<RouterPolicyRecord[]> {
  return (await db.all<RouterRow>('SELECT * FROM router_policies ORDER BY name')).map(
    toRouterPolicy,
  )
}

/** Deletes a router policy. */
export async function deleteRouterPolicy(db: Queryable, ref: string): Promise<RouterPolicyRecord> {
  const p = await getRouterPolicy(db, ref)
  await db.run('DELETE FROM router_policies WHERE id = ?', [p.id])
  return p
}
