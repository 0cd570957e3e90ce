import type { Entity } from '../policy/types.js'
import type { Db } from '../store/db.js'
import { assertNameFree, findRow, iso, newId, strings } from './records.js'

/** A service or a router: a named thing with role attributes. */
export interface AttributedEntity {
  id: string
  name: string
  attributes: string[]
  createdAt: string
  updatedAt: string
}

/** The two tables that hold attributed entities. */
export type EntityTable = 'services' | 'routers'

interface Row {
  id: string
  name: string
  attributes: string
  created_at: number
  updated_at: number
}

function toEntity(row: Row): AttributedEntity {
  return {
    id: row.id,
    name: row.name,
    attributes: strings(row.attributes),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  }
}

/** Inserts a service or router; names are unique per table. */
export function insertEntity(
  db: Db,
  table: EntityTable,
  input: { name: string; attributes: string[] },
  now = Date.now(),
): AttributedEntity {
  assertNameFree(db, table, input.name)
  const id = newId()
  db.prepare(
    `INSERT INTO ${table} (id, name, attributes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
  ).run(id, input.name, JSON.stringify(input.attributes), now, now)
  return getEntity(db, table, id)
}

/** Finds a service or router by id or name. */
export function getEntity(db: Db, table: EntityTable, ref: string): AttributedEntity {
  return toEntity(findRow<Row>(db, table, ref))
}

/** Every row of the table, ordered by name. */
export function listEntities(db: Db, table: EntityTable): AttributedEntity[] {
  return (db.prepare(`SELECT * FROM ${table} ORDER BY name`).all() as Row[]).map(toEntity)
}

/** Updates name or attributes. */
export function updateEntity(
  db: Db,
  table: EntityTable,
  ref: string,
  patch: { name?: string; attributes?: string[] },
  now = Date.now(),
): AttributedEntity {
  const current = getEntity(db, table, ref)
  if (patch.name !== undefined) assertNameFree(db, table, patch.name, current.id)
  db.prepare(`UPDATE ${table} SET name = ?, attributes = ?, updated_at = ? WHERE id = ?`).run(
    patch.name ?? current.name,
    JSON.stringify(patch.attributes ?? current.attributes),
    now,
    current.id,
  )
  return getEntity(db, table, current.id)
}

/** Deletes a service or router. */
export function deleteEntity(db: Db, table: EntityTable, ref: string): AttributedEntity {
  const current = getEntity(db, table, ref)
  db.prepare(`DELETE FROM ${table} WHERE id = ?`).run(current.id)
  return current
}

/** The rows as the policy engine sees them. */
export function entityEntities(db: Db, table: EntityTable): Entity[] {
  return (db.prepare(`SELECT id, name, attributes FROM ${table}`).all() as Row[]).map((r) => ({
    id: r.id,
    name: r.name,
    attributes: strings(r.attributes),
  }))
}
