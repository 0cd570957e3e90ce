import type { Db } from '../store/db.js'

/** What the controller remembers of a certificate it issued. */
export interface CertificateRecord {
  serial: string
  fingerprint: string
  principalId: string
  principalKind: 'identity' | 'router' | 'controller'
  notAfter: number
  revokedAt: number | null
}

interface Row {
  serial: string
  fingerprint: string
  principal_id: string
  principal_kind: CertificateRecord['principalKind']
  not_after: number
  revoked_at: number | null
}

/** Records a newly issued certificate. */
export function recordCertificate(
  db: Db,
  cert: {
    serial: string
    fingerprint: string
    principalId: string
    principalKind: CertificateRecord['principalKind']
    notAfter: Date
  },
  now = Date.now(),
): void {
  db.prepare(
    'INSERT INTO certificates (serial, fingerprint, principal_id, principal_kind, not_after, issued_at) VALUES (?, ?, ?, ?, ?, ?)',
  ).run(
    cert.serial,
    cert.fingerprint,
    cert.principalId,
    cert.principalKind,
    cert.notAfter.getTime(),
    now,
  )
}

/** The record for a certificate fingerprint, if this controller issued it. */
export function findCertificate(db: Db, fingerprint: string): CertificateRecord | undefined {
  const row = db.prepare('SELECT * FROM certificates WHERE fingerprint = ?').get(fingerprint) as
    Row | undefined
  return (
    row && {
      serial: row.serial,
      fingerprint: row.fingerprint,
      principalId: row.principal_id,
      principalKind: row.principal_kind,
      notAfter: row.not_after,
      revokedAt: row.revoked_at,
    }
  )
}

/** Marks every unrevoked certificate of a principal revoked; returns their fingerprints. */
export function revokeCertificates(db: Db, principalId: string, now = Date.now()): string[] {
  const rows = db
    .prepare('SELECT fingerprint FROM certificates WHERE principal_id = ? AND revoked_at IS NULL')
    .all(principalId) as { fingerprint: string }[]
  db.prepare(
    'UPDATE certificates SET revoked_at = ? WHERE principal_id = ? AND revoked_at IS NULL',
  ).run(now, principalId)
  return rows.map((r) => r.fingerprint)
}

/** Fingerprints of revoked certificates that have not expired yet (what routers must refuse). */
export function activeRevocations(db: Db, now = Date.now()): string[] {
  const rows = db
    .prepare('SELECT fingerprint FROM certificates WHERE revoked_at IS NOT NULL AND not_after > ?')
    .all(now) as { fingerprint: string }[]
  return rows.map((r) => r.fingerprint)
}
