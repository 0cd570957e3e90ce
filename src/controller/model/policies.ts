import type { RouterPolicy, Semantic, ServicePolicy } from '../policy/types.js'
import type { Db } from '../store/db.js'
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
export function insertServicePolicy(
  db: Db,
  input: Omit<ServicePolicy, 'id'>,
  now = Date.now(),
): ServicePolicyRecord {
  assertNameFree(db, 'service_policies', input.name)
  const id = newId()
  db.prepare(
    'INSERT INTO service_policies (id, name, type, identity_roles, service_roles, semantic, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
  ).run(
    id,
    input.name,
    input.type,
    JSON.stringify(input.identityRoles),
    JSON.stringify(input.serviceRoles),
    input.semantic,
    now,
    now,
  )
  return getServicePolicy(db, id)
}

/** Finds a service policy by id or name. */
export function getServicePolicy(db: Db, ref: string): ServicePolicyRecord {
  return toServicePolicy(findRow<ServiceRow>(db, 'service_policies', ref))
}

/** Every service policy, ordered by name. */
export function listServicePolicies(db: Db): ServicePolicyRecord[] {
  return (db.prepare('SELECT * FROM service_policies ORDER BY name').all() as ServiceRow[]).map(
    toServicePolicy,
  )
}

/** Replaces the roles or semantic of a service policy. */
export function updateServicePolicy(
  db: Db,
  ref: string,
  patch: { identityRoles?: string[]; serviceRoles?: string[]; semantic?: Semantic },
  now = Date.now(),
): ServicePolicyRecord {
  const p = getServicePolicy(db, ref)
  db.prepare(
    'UPDATE service_policies SET identity_roles = ?, service_roles = ?, semantic = ?, updated_at = ? WHERE id = ?',
  ).run(
    JSON.stringify(patch.identityRoles ?? p.identityRoles),
    JSON.stringify(patch.serviceRoles ?? p.serviceRoles),
    patch.semantic ?? p.semantic,
    now,
    p.id,
  )
  return getServicePolicy(db, p.id)
}

/** Deletes a service policy. */
export function deleteServicePolicy(db: Db, ref: string): ServicePolicyRecord {
  const p = getServicePolicy(db, ref)
  db.prepare('DELETE FROM service_policies WHERE id = ?').run(p.id)
  return p
}

/** Inserts a router policy. Roles must already be checked. */
export function insertRouterPolicy(
  db: Db,
  input: Omit<RouterPolicy, 'id'>,
  now = Date.now(),
): RouterPolicyRecord {
  assertNameFree(db, 'router_policies', input.name)
  const id = newId()
  db.prepare(
    'INSERT INTO router_policies (id, name, identity_roles, router_roles, semantic, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  ).run(
    id,
    input.name,
    JSON.stringify(input.identityRoles),
    JSON.stringify(input.routerRoles),
    input.semantic,
    now,
    now,
  )
  return getRouterPolicy(db, id)
}

/** Finds a router policy by id or name. */
export function getRouterPolicy(db: Db, ref: string): RouterPolicyRecord {
  return toRouterPolicy(findRow<RouterRow>(db, 'router_policies', ref))
}

/** Every router policy, ordered by name. */
export function listRouterPolicies(db: Db): RouterPolicyRecord[] {
  return (db.prepare('SELECT * FROM router_policies ORDER BY name').all() as RouterRow[]).map(
    toRouterPolicy,
  )
}

/** Deletes a router policy. */
export function deleteRouterPolicy(db: Db, ref: string): RouterPolicyRecord {
  const p = getRouterPolicy(db, ref)
  db.prepare('DELETE FROM router_policies WHERE id = ?').run(p.id)
  return p
}
