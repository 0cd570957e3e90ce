import { ZhError } from '../../errors.js'
import type { IdentityEntity } from '../policy/types.js'
import type { Db } from '../store/db.js'
import { assertNameFree, findRow, iso, newId, strings } from './records.js'

/** An identity as the API shows it. */
export interface Identity {
  id: string
  name: string
  kind: 'endpoint' | 'admin'
  attributes: string[]
  disabled: boolean
  enrolled: boolean
  createdAt: string
  updatedAt: string
}

interface Row {
  id: string
  name: string
  kind: 'endpoint' | 'admin'
  attributes: string
  disabled: number
  created_at: number
  updated_at: number
}

const enrolledSql = `EXISTS (SELECT 1 FROM certificates c WHERE c.principal_id = identities.id)`

function toIdentity(row: Row & { enrolled?: number }): Identity {
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    attributes: strings(row.attributes),
    disabled: row.disabled === 1,
    enrolled: row.enrolled === 1,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  }
}

/** Inserts an identity; names are unique. */
export function insertIdentity(
  db: Db,
  input: { name: string; kind: 'endpoint' | 'admin'; attributes: string[] },
  now = Date.now(),
): Identity {
  assertNameFree(db, 'identities', input.name)
  const id = newId()
  db.prepare(
    'INSERT INTO identities (id, name, kind, attributes, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)',
  ).run(id, input.name, input.kind, JSON.stringify(input.attributes), now, now)
  return getIdentity(db, id)
}

/** Finds an identity by id or name (ZH_IDENTITY_NOT_FOUND). */
export function getIdentity(db: Db, ref: string): Identity {
  const row = findRow<Row>(db, 'identities', ref)
  const enrolled = db
    .prepare(`SELECT ${enrolledSql} AS e FROM identities WHERE id = ?`)
    .get(row.id) as {
    e: number
  }
  return toIdentity({ ...row, enrolled: enrolled.e })
}

/** Every identity, ordered by name. */
export function listIdentities(db: Db): Identity[] {
  const rows = db
    .prepare(`SELECT *, ${enrolledSql} AS enrolled FROM identities ORDER BY name`)
    .all() as (Row & { enrolled: number })[]
  return rows.map(toIdentity)
}

/** Updates name, attributes or the disabled flag. */
export function updateIdentity(
  db: Db,
  ref: string,
  patch: { name?: string; attributes?: string[]; disabled?: boolean },
  now = Date.now(),
): Identity {
  const current = getIdentity(db, ref)
  if (patch.name !== undefined) assertNameFree(db, 'identities', patch.name, current.id)
  db.prepare(
    'UPDATE identities SET name = ?, attributes = ?, disabled = ?, updated_at = ? WHERE id = ?',
  ).run(
    patch.name ?? current.name,
    JSON.stringify(patch.attributes ?? current.attributes),
    (patch.disabled ?? current.disabled) ? 1 : 0,
    now,
    current.id,
  )
  return getIdentity(db, current.id)
}

/** Deletes an identity and its unused enrollment tokens; its certificates stay, as revoked. */
export function deleteIdentity(db: Db, ref: string): Identity {
  const current = getIdentity(db, ref)
  db.prepare('DELETE FROM enrollments WHERE principal_id = ?').run(current.id)
  db.prepare('DELETE FROM identities WHERE id = ?').run(current.id)
  return current
}

/** The identity as the policy engine sees it. */
export function identityEntities(db: Db): IdentityEntity[] {
  const rows = db.prepare('SELECT * FROM identities').all() as Row[]
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    attributes: strings(r.attributes),
    disabled: r.disabled === 1,
  }))
}

/** Throws unless the identity exists and is enabled; used on every mTLS request. */
export function requireActiveIdentity(db: Db, id: string): Identity {
  const row = db.prepare('SELECT * FROM identities WHERE id = ?').get(id) as Row | undefined
  if (!row) throw new ZhError('ZH_IDENTITY_DELETED', id)
  if (row.disabled === 1) throw new ZhError('ZH_IDENTITY_DISABLED', row.name)
  return toIdentity(row)
}
