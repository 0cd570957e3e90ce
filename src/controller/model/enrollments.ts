import { ZhError } from '../../errors.js'
import type { Db } from '../store/db.js'

/** The kinds of principal a token can enroll. */
export type EnrollKind = 'identity' | 'router'

/** Records a one-time token by its id; the token text itself is never stored. */
export function insertEnrollment(
  db: Db,
  e: { jti: string; principalId: string; principalKind: EnrollKind; expiresAt: number },
): void {
  db.prepare(
    'INSERT INTO enrollments (jti, principal_id, principal_kind, expires_at) VALUES (?, ?, ?, ?)',
  ).run(e.jti, e.principalId, e.principalKind, e.expiresAt)
}

/** Throws unless the token id is known, belongs to `principalId`, and is unused. Changes nothing. */
export function peekEnrollment(db: Db, jti: string, principalId: string): void {
  const row = db.prepare('SELECT principal_id, used_at FROM enrollments WHERE jti = ?').get(jti) as
    { principal_id: string; used_at: number | null } | undefined
  if (!row || row.principal_id !== principalId)
    throw new ZhError('ZH_ENROLL_TOKEN_INVALID', 'unknown token')
  if (row.used_at !== null) throw new ZhError('ZH_ENROLL_TOKEN_USED')
}

/**
 * Marks a token used, exactly once: the conditional update makes two racing enrollments with the
 * same token end with one winner.
 */
export function consumeEnrollment(
  db: Db,
  jti: string,
  principalId: string,
  now = Date.now(),
): void {
  peekEnrollment(db, jti, principalId)
  const done = db
    .prepare('UPDATE enrollments SET used_at = ? WHERE jti = ? AND used_at IS NULL')
    .run(now, jti)
  if (done.changes !== 1) throw new ZhError('ZH_ENROLL_TOKEN_USED')
}

/** Removes a principal's unused tokens (before issuing a new one). */
export function deleteUnusedEnrollments(db: Db, principalId: string): void {
  db.prepare('DELETE FROM enrollments WHERE principal_id = ? AND used_at IS NULL').run(principalId)
}

/**
 * Deletes tokens that expired, and were used or expired before `cutoff`; returns how many went.
 * A token that could still verify keeps its row, so its reuse is told apart (ZH_ENROLL_TOKEN_USED).
 */
export function pruneEnrollments(db: Db, cutoff: number, now = Date.now()): number {
  return db
    .prepare('DELETE FROM enrollments WHERE expires_at < ? AND COALESCE(used_at, expires_at) < ?')
    .run(now, cutoff).changes
}
