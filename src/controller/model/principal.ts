import type { Queryable } from '../store/types.js'
import type { CertificateRecord } from './certificates.js'
import type { IdentityRow } from './identities.js'

/** A certificate this controller issued, with what holds it now (absent once deleted). */
export interface CertificateHolder {
  principalId: string
  principalKind: CertificateRecord['principalKind']
  notAfter: number
  revokedAt: number | null
  /** The identity's row, for an identity certificate whose identity still exists. */
  identity?: IdentityRow
  /** For a router certificate: whether the router still exists. */
  routerExists: boolean
}

interface Row {
  principal_id: string
  principal_kind: CertificateRecord['principalKind']
  not_after: number
  revoked_at: number | null
  r_id: string | null
  i_id: string | null
  i_name: string | null
  i_kind: IdentityRow['kind'] | null
  i_attributes: string | null
  i_disabled: number | null
  i_created_at: number | null
  i_updated_at: number | null
}

/**
 * Who holds the certificate with this fingerprint, read in one statement (what every mTLS
 * request asks first, so a shared store answers it in one round trip).
 */
export async function findCertificateHolder(
  db: Queryable,
  fingerprint: string,
): Promise<CertificateHolder | undefined> {
  const r = await db.get<Row>(
    `SELECT c.principal_id, c.principal_kind, c.not_after, c.revoked_at, r.id AS r_id,
            i.id AS i_id, i.name AS i_name, i.kind AS i_kind, i.attributes AS i_attributes,
            i.disabled AS i_disabled, i.created_at AS i_created_at, i.updated_at AS i_updated_at
     FROM certificates c
     LEFT JOIN identities i ON c.principal_kind = 'identity' AND i.id = c.principal_id
     LEFT JOIN routers r ON c.principal_kind = 'router' AND r.id = c.principal_id
     WHERE c.fingerprint = ?`,
    [fingerprint],
  )
  if (!r) return undefined
  return {
    principalId: r.principal_id,
    principalKind: r.principal_kind,
    notAfter: r.not_after,
    revokedAt: r.revoked_at,
    routerExists: r.r_id !== null,
    ...(r.i_id !== null
      ? {
          identity: {
            id: r.i_id,
            name: r.i_name!,
            kind: r.i_kind!,
            attributes: r.i_attributes!,
            disabled: r.i_disabled!,
            created_at: r.i_created_at!,
            updated_at: r.i_updated_at!,
          },
        }
      : {}),
  }
}
