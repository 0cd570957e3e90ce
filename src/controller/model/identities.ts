import { ZhError } from '../../errors.js'
import type { IdentityEntity } from '../policy/types.js'
import type { Queryable } from '../store/types.js'
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

/** An identities row as stored. */
export interface IdentityRow {
  id: string
  name: string
  kind: 'endpoint' | 'admin'
  attributes: string
  disabled: number
  created_at: number
  updated_at: number
}

/** 1 when the identity was ever issued a certificate (an integer in both databases). */
const enrolledSql = `CASE WHEN EXISTS (SELECT 1 FROM certificates c WHERE c.principal_id = identities.id) THEN 1 ELSE 0 END`

/** An identity row as the API shows it. */
export function toIdentity(row: IdentityRow & { enrolled?: number }): Identity {
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
export async function insertIdentity(
  db: Queryable,
  input: { name: string; kind: 'endpoint' | 'admin'; attributes: string[] },
  now = Date.now(),
): Promise<Identity> {
  await assertNameFree(db, 'identities', input.name)
  const id = newId()
  await db.run(
    'INSERT INTO identities (id, name, kind, attributes, disabled, created_at, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?)',
    [id, input.name, input.kind, JSON.stringify(input.attributes), now, now],
  )
  return getIdentity(db, id)
}

/** Finds an identity by id or name (ZH_IDENTITY_NOT_FOUND). */
export async function getIdentity(db: Queryable, ref: string): Promise<Identity> {
  const row = await findRow<IdentityRow>(db, 'identities', ref)
  const enrolled = await db.get<{ e: number }>(
    `SELECT ${enrolledSql} AS e FROM identities WHERE id = ?`,
    [row.id],
  )
  return toIdentity({ ...row, enrolled: enrolled?.e ?? 0 })
}

/** Every identity, ordered by name. */
export async function listIdentities(db: Queryable): Promise<Identity[]> {
  const rows = await db.all<IdentityRow & { enrolled: number }>(
    `SELECT *, ${enrolledSql} AS enrolled FROM identities ORDER BY name`,
  )
  return rows.map(toIdentity)
}

/** Updates name, attributes or the disabled flag. */
export async function updateIdentity(
  db: Queryable,
  ref: string,
  patch: { name?: string; attributes?: string[]; disabled?: boolean },
  now = Date.now(),
): Promise<Identity> {
  const current = await getIdentity(db, ref)
  if (patch.name !== undefined) await assertNameFree(db, 'identities', patch.name, current.id)
  await db.run(
    'UPDATE identities SET name = ?, attributes = ?, disabled = ?, updated_at = ? WHERE id = ?',
    [
      patch.name ?? current.name,
      JSON.stringify(patch.attributes ?? current.attributes),
      (patch.disabled ?? current.disabled) ? 1 : 0,
      now,
      current.id,
    ],
  )
  return getIdentity(db, current.id)
}

/** Deletes an identity and its unused enrollment tokens; its certificates stay, as revoked. */
export async function deleteIdentity(db: Queryable, ref: string): Promise<Identity> {
  const current = await getIdentity(db, ref)
  await db.run('DELETE FROM enrollments WHERE principal_id = ?', [current.id])
  await db.run('DELETE FROM identities WHERE id = ?', [current.id])
  return current
}

/** The identities as the policy engine sees them. */
export async function identityEntities(db: Queryable): Promise<IdentityEntity[]> {
  const rows = await db.all<IdentityRow>('SELECT * FROM identities')
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    attributes: strings(r.attributes),
    disabled: r.disabled === 1,
  }))
}

/** Throws unless the identity exists and is enabled; used on every mTLS request. */
export async function requireActiveIdentity(db: Queryable, id: string): Promise<Identity> {
  const row = await db.get<IdentityRow>('SELECT * FROM identities WHERE id = ?', [id])
  if (!row) throw new ZhError('ZH_IDENTITY_DELETED', id)
  if (row.disabled === 1) throw new ZhError('ZH_IDENTITY_DISABLED', row.name)
  return toIdentity(row)
}
