import type { Entity } from '../policy/types.js'
import type { Queryable } from '../store/types.js'
import { assertNameFree, findRow, iso, newId, strings, table } from './records.js'

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
export async function insertEntity(
  db: Queryable,
  name: EntityTable,
  input: { name: string; attributes: string[] },
  now = Date.now(),
): Promise<AttributedEntity> {
  await assertNameFree(db, name, input.name)
  const id = newId()
  await db.run(
    `INSERT INTO ${table(name)} (id, name, attributes, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
    [id, input.name, JSON.stringify(input.attributes), now, now],
  )
  return getEntity(db, name, id)
}

/** Finds a service or router by id or name. */
export async function getEntity(
  db: Queryable,
  name: EntityTable,
  ref: string,
): Promise<AttributedEntity> {
  return toEntity(await findRow<Row>(db, name, ref))
}

/** Every row of the table, ordered by name. */
export async function listEntities(db: Queryable, name: EntityTable): Promise<AttributedEntity[]> {
  return (await db.all<Row>(`SELECT * FROM ${table(name)} ORDER BY name`)).map(toEntity)
}

/** Updates name or attributes. */
export async function updateEntity(
  db: Queryable,
  name: EntityTable,
  ref: string,
  patch: { name?: string; attributes?: string[] },
  now = Date.now(),
): Promise<AttributedEntity> {
  const current = await getEntity(db, name, ref)
  if (patch.name !== undefined) await assertNameFree(db, name, patch.name, current.id)
  await db.run(`UPDATE ${table(name)} SET name = ?, attributes = ?, updated_at = ? WHERE id = ?`, [
    patch.name ?? current.name,
    JSON.stringify(patch.attributes ?? current.attributes),
    now,
    current.id,
  ])
  return getEntity(db, name, current.id)
}

/** Deletes a service or router. */
export async function deleteEntity(
  db: Queryable,
  name: EntityTable,
  ref: string,
): Promise<AttributedEntity> {
  const current = await getEntity(db, name, ref)
  await db.run(`DELETE FROM ${table(name)} WHERE id = ?`, [current.id])
  return current
}

/** The rows as the policy engine sees them. */
export async function entityEntities(db: Queryable, name: EntityTable): Promise<Entity[]> {
  const rows = await db.all<Row>(`SELECT id, name, attributes FROM ${table(name)}`)
  return rows.map((r) => ({ id: r.id, name: r.name, attributes: strings(r.attributes) }))
}
