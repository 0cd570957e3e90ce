import { randomBytes } from 'node:crypto'
import { ZhError, type ZhCode } from '../../errors.js'
import type { Db } from '../store/db.js'

/** A new random id: 72 bits, URL- and URI-safe. */
export function newId(): string {
  return randomBytes(9).toString('base64url')
}

/** Milliseconds since the epoch as an ISO string, for API output. */
export function iso(ms: number): string {
  return new Date(ms).toISOString()
}

/** The tables whose rows are addressed by id or by unique name. */
export type NamedTable =
  'identities' | 'services' | 'routers' | 'service_policies' | 'router_policies'

const notFound: Record<NamedTable, ZhCode> = {
  identities: 'ZH_IDENTITY_NOT_FOUND',
  services: 'ZH_SERVICE_NOT_FOUND',
  routers: 'ZH_ROUTER_NOT_FOUND',
  service_policies: 'ZH_POLICY_NOT_FOUND',
  router_policies: 'ZH_POLICY_NOT_FOUND',
}

/** Finds a row by id or name, or throws the table's not-found code. */
export function findRow<T>(db: Db, table: NamedTable, ref: string): T {
  const row = db.prepare(`SELECT * FROM ${table} WHERE id = ? OR name = ? LIMIT 1`).get(ref, ref)
  if (!row) throw new ZhError(notFound[table], ref)
  return row as T
}

/** Throws ZH_NAME_TAKEN when `name` is used by a row other than `exceptId`. */
export function assertNameFree(db: Db, table: NamedTable, name: string, exceptId?: string): void {
  const row = db.prepare(`SELECT id FROM ${table} WHERE name = ?`).get(name) as
    { id: string } | undefined
  if (row && row.id !== exceptId) throw new ZhError('ZH_NAME_TAKEN', name)
}

/** Parses a JSON string-array column. */
export function strings(column: string): string[] {
  return JSON.parse(column) as string[]
}
