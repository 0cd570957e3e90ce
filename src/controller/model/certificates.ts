import type { Queryable } from '../store/types.js'

/** What the controller remembers of a certificate it issued. */
export interface CertificateRecord {
  serial: string
  fingerprint: string
  principalId: string
  principalKind: 'identity' | 'router' | 'controller'
  notAfter: number
  revokedAt: number | null
}

/** Records a newly issued certificate. */
export async function recordCertificate(
  db: Queryable,
  cert: {
    serial: string
    fingerprint: string
    principalId: string
    principalKind: CertificateRecord['principalKind']
    notAfter: Date
  },
  now = Date.now(),
): Promise<void> {
  await db.run(
    'INSERT INTO certificates (serial, fingerprint, principal_id, principal_kind, not_after, issued_at) VALUES (?, ?, ?, ?, ?, ?)',
    [
      cert.serial,
      cert.fingerprint,
      cert.principalId,
      cert.principalKind,
      cert.notAfter.getTime(),
      now,
    ],
  )
}

/** Marks every unrevoked certificate of a principal revoked; returns their fingerprints. */
export async function revokeCertificates(
  db: Queryable,
  principalId: string,
  now = Date.now(),
): Promise<string[]> {
  const rows = await db.all<{ fingerprint: string }>(
    'SELECT fingerprint FROM certificates WHERE principal_id = ? AND revoked_at IS NULL',
    [principalId],
  )
  await db.run(
    'UPDATE certificates SET revoked_at = ? WHERE principal_id = ? AND revoked_at IS NULL',
    [now, principalId],
  )
  return rows.map((r) => r.fingerprint)
}

/** Fingerprints of revoked certificates that have not expired yet (what routers must refuse). */
export async function activeRevocations(db: Queryable, now = Date.now()): Promise<string[]> {
  const rows = await db.all<{ fingerprint: string }>(
    'SELECT fingerprint FROM certificates WHERE revoked_at IS NOT NULL AND not_after > ?',
    [now],
  )
  return rows.map((r) => r.fingerprint)
}

/** Counts a renewal of a principal's certificate. */
export async function recordRenewal(
  db: Queryable,
  principalId: string,
  now = Date.now(),
): Promise<void> {
  await db.run(
    `INSERT INTO renewals (principal_id, count, last_at) VALUES (?, 1, ?)
     ON CONFLICT (principal_id) DO UPDATE SET count = renewals.count + 1, last_at = excluded.last_at`,
    [principalId, now],
  )
}

/** The newest certificate of every principal, with its renewal count. */
export interface LatestCertificate {
  principalId: string
  principalKind: CertificateRecord['principalKind']
  serial: string
  issuedAt: number
  notAfter: number
  revokedAt: number | null
  renewals: number
  lastRenewal: number | null
}

/** The newest certificate each principal holds (by issue time), with its renewals. */
export async function latestCertificates(db: Queryable): Promise<LatestCertificate[]> {
  const rows = await db.all<{
    principal_id: string
    principal_kind: CertificateRecord['principalKind']
    serial: string
    issued_at: number
    not_after: number
    revoked_at: number | null
    renewals: number
    last_at: number | null
  }>(
    `SELECT c.principal_id, c.principal_kind, c.serial, c.issued_at, c.not_after, c.revoked_at,
              COALESCE(r.count, 0) AS renewals, r.last_at
       FROM certificates c LEFT JOIN renewals r ON r.principal_id = c.principal_id
       WHERE c.serial = (SELECT c2.serial FROM certificates c2 WHERE c2.principal_id = c.principal_id
                         ORDER BY c2.issued_at DESC, c2.not_after DESC LIMIT 1)`,
  )
  return rows.map((r) => ({
    principalId: r.principal_id,
    principalKind: r.principal_kind,
    serial: r.serial,
    issuedAt: r.issued_at,
    notAfter: r.not_after,
    revokedAt: r.revoked_at,
    renewals: r.renewals,
    lastRenewal: r.last_at,
  }))
}

/**
 * Deletes the records of certificates that expired before `cutoff`, except the newest of a
 * principal that still exists (so `status` can still say when it expired); and the renewal
 * counts of principals that are gone. An expired certificate can neither authenticate nor
 * need revoking, so nothing depends on the rest. Returns how many certificate rows went.
 */
export async function pruneCertificates(db: Queryable, cutoff: number): Promise<number> {
  const gone = `principal_id NOT IN (SELECT id FROM identities UNION ALL SELECT id FROM routers)
                AND principal_kind <> 'controller'`
  const done = await db.run(
    `DELETE FROM certificates WHERE not_after < ? AND (
       (${gone})
       OR serial <> (SELECT c2.serial FROM certificates c2
                     WHERE c2.principal_id = certificates.principal_id
                     ORDER BY c2.issued_at DESC, c2.not_after DESC LIMIT 1))`,
    [cutoff],
  )
  await db.run(
    `DELETE FROM renewals WHERE principal_id NOT IN (SELECT principal_id FROM certificates)`,
  )
  return done
}
