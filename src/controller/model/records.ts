import { randomBytes } from 'node:crypto'
import { ZhError, type ZhCode } from '../../errors.js'
import type { Queryable } from '../store/types.js'

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

/**
 * The table's name for a statement. Only these fixed identifiers are ever put into SQL text;
 * every value travels as a parameter.
 */
export function table(name: NamedTable): string {
  if (!Object.hasOwn(notFound, name)) throw new Error(`not a table: ${String(name)}`)
  return name
}

/** Finds a row by id or name, or throws the table's not-found code. */
export async function findRow<T>(db: Queryable, name: NamedTable, ref: string): Promise<T> {
  const row = await db.get<T>(`SELECT * FROM ${table(name)} WHERE id = ? OR name = ? LIMIT 1`, [
    ref,
    ref,
  ])
  if (!row) throw new ZhError(notFound[name], ref)
  return row
}

/** Throws ZH_NAME_TAKEN when `name` is used by a row other than `exceptId`. */
export async function assertNameFree(
  db: Queryable,
  name: NamedTable,
  value: string,
  exceptId?: string,
): Promise<void> {
  const row = await db.get<{ id: string }>(`SELECT id FROM ${table(name)} WHERE name = ?`, [value])
  if (row && row.id !== exceptId) throw new ZhError('ZH_NAME_TAKEN', value)
}

/** Parses a JSON string-array column. */
export function strings(column: string): string[] {
  return JSON.parse(column) as string[]
}
