import { ZhError } from '../../errors.js'
import type { Queryable } from '../store/types.js'

/** The kinds of principal a token can enroll. */
export type EnrollKind = 'identity' | 'router'

/** Records a one-time token by its id; the token text itself is never stored. */
export async function insertEnrollment(
  db: Queryable,
  e: { jti: string; principalId: string; principalKind: EnrollKind; expiresAt: number },
): Promise<void> {
  await db.run(
    'INSERT INTO enrollments (jti, principal_id, principal_kind, expires_at) VALUES (?, ?, ?, ?)',
    [e.jti, e.principalId, e.principalKind, e.expiresAt],
  )
}

/** Throws unless the token id is known, belongs to `principalId`, and is unused. Changes nothing. */
export async function peekEnrollment(
  db: Queryable,
  jti: string,
  principalId: string,
): Promise<void> {
  const row = await db.get<{ principal_id: string; used_at: number | null }>(
    'SELECT principal_id, used_at FROM enrollments WHERE jti = ?',
    [jti],
  )
  if (!row || row.principal_id !== principalId)
    throw new ZhError('ZH_ENROLL_TOKEN_INVALID', 'unknown token')
  if (row.used_at !== null) throw new ZhError('ZH_ENROLL_TOKEN_USED')
}

/**
 * Marks a token used, exactly once, across every replica: the conditional update is atomic in
 * the database (a second one, even racing on another replica, changes no row), so two
 * enrollments with the same token end with one winner.
 */
export async function consumeEnrollment(
  db: Queryable,
  jti: string,
  principalId: string,
  now = Date.now(),
): Promise<void> {
  await peekEnrollment(db, jti, principalId)
  const changed = await db.run(
    'UPDATE enrollments SET used_at = ? WHERE jti = ? AND principal_id = ? AND used_at IS NULL',
    [now, jti, principalId],
  )
  if (changed !== 1) throw new ZhError('ZH_ENROLL_TOKEN_USED')
}

/** Removes a principal's unused tokens (before issuing a new one). */
export async function deleteUnusedEnrollments(db: Queryable, principalId: string): Promise<void> {
  await db.run('DELETE FROM enrollments WHERE principal_id = ? AND used_at IS NULL', [principalId])
}

/**
 * Deletes tokens that expired, and were used or expired before `cutoff`; returns how many went.
 * A token that could still verify keeps its row, so its reuse is told apart (ZH_ENROLL_TOKEN_USED).
 */
export async function pruneEnrollments(
  db: Queryable,
  cutoff: number,
  now = Date.now(),
): Promise<number> {
  return db.run(
    'DELETE FROM enrollments WHERE expires_at < ? AND COALESCE(used_at, expires_at) < ?',
    [now, cutoff],
  )
}
