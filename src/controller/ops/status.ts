import { inspectCertificate } from '../../pki/inspect.js'
import { renewalDue } from '../../pki/validity.js'
import type { ControllerContext } from '../context.js'
import { latestCertificates, type LatestCertificate } from '../model/certificates.js'
import { listEntities } from '../model/entities.js'
import { listIdentities } from '../model/identities.js'
import { duration } from './duration.js'

/** What holds a certificate: the CA, the controller, a router, an endpoint or admin identity. */
export type CertificateKind = 'ca' | 'controller' | 'router' | 'endpoint' | 'admin'

/** One certificate holder's state, as `zerohook status` shows it. */
export interface CertificateState {
  kind: CertificateKind
  id: string
  name: string
  /** Expiry of its newest certificate (ISO), null when it never enrolled. */
  notAfter: string | null
  /** Seconds left until then (negative once expired), null when it never enrolled. */
  expiresIn: number | null
  /** When its newest certificate was issued (ISO). */
  issuedAt: string | null
  /** How often it was renewed, and when last. */
  renewals: number
  lastRenewal: string | null
  /** True for certificates that renew themselves (controller, routers, endpoints). */
  renewsItself: boolean
  /** Why this needs attention, when it does. */
  warning?: string
}

/** The network's certificates, the CA first. */
export interface NetworkStatus {
  network: string
  now: string
  certificates: CertificateState[]
  /** One line per certificate with a warning: `<kind> <name>: <warning>`. */
  warnings: string[]
}

const DAY_MS = 86_400_000
/** Certificates nobody renews automatically are flagged this long before they expire, at most. */
const NOTICE_MS = 30 * DAY_MS

/**
 * Why a certificate needs attention, if it does: expired; for one that renews itself, still not
 * renewed a twelfth of its life after renewal was due (two thirds in: a 30-day certificate is
 * always within 30 days of its end, so that alone says nothing); for the CA and admin
 * identities, which a person renews, expiring within 30 days.
 */
export function certificateWarning(
  c: { notBefore: number; notAfter: number; renewsItself: boolean },
  now = Date.now(),
): string | undefined {
  const life = c.notAfter - c.notBefore
  const left = c.notAfter - now
  const when = new Date(c.notAfter).toISOString()
  if (left <= 0) return `expired at ${when}`
  if (c.renewsItself) {
    const due = renewalDue(c.notBefore, c.notAfter)
    if (now > due + life / 12)
      return `not renewed although due since ${new Date(due).toISOString()}; expires at ${when}`
    return undefined
  }
  if (left < NOTICE_MS) return `expires at ${when} (in ${duration(left)})`
  return undefined
}

/**
 * The expiry of every certificate that keeps the network alive: the CA's, the controller's,
 * each router's and each enabled identity's newest, with its renewals and a warning where one is
 * due (see {@link certificateWarning}). Revoked and disabled holders are left out.
 */
export async function networkStatus(
  ctx: ControllerContext,
  now = Date.now(),
): Promise<NetworkStatus> {
  const latest = new Map((await latestCertificates(ctx.db)).map((c) => [c.principalId, c]))
  const ca = inspectCertificate(ctx.ca.certPem)
  const items: CertificateState[] = [
    withWarning(
      {
        kind: 'ca',
        id: ca.fingerprint,
        name: ca.subject.replace(/^CN=/, ''),
        notAfter: ca.notAfter.toISOString(),
        expiresIn: Math.floor((ca.notAfter.getTime() - now) / 1000),
        issuedAt: ca.notBefore.toISOString(),
        renewals: 0,
        lastRenewal: null,
        renewsItself: false,
      },
      ca.notBefore.getTime(),
      ca.notAfter.getTime(),
      now,
    ),
    holder('controller', 'controller', 'controller', latest.get('controller'), now),
  ]
  for (const r of await listEntities(ctx.db, 'routers'))
    items.push(holder('router', r.id, r.name, latest.get(r.id), now))
  for (const i of await listIdentities(ctx.db)) {
    if (i.disabled || !i.enrolled) continue
    items.push(holder(i.kind, i.id, i.name, latest.get(i.id), now))
  }
  // Never enrolled (or revoked): no certificate to expire.
  const certificates = items.filter((c) => c.notAfter !== null)
  return {
    network: ctx.network,
    now: new Date(now).toISOString(),
    certificates,
    warnings: certificates.filter((c) => c.warning).map((c) => `${c.kind} ${c.name}: ${c.warning}`),
  }
}

function holder(
  kind: CertificateKind,
  id: string,
  name: string,
  cert: LatestCertificate | undefined,
  now: number,
): CertificateState {
  const renewsItself = kind !== 'admin'
  if (!cert || cert.revokedAt !== null)
    return {
      kind,
      id,
      name,
      notAfter: null,
      expiresIn: null,
      issuedAt: null,
      renewals: cert?.renewals ?? 0,
      lastRenewal: null,
      renewsItself,
    }
  return withWarning(
    {
      kind,
      id,
      name,
      notAfter: new Date(cert.notAfter).toISOString(),
      expiresIn: Math.floor((cert.notAfter - now) / 1000),
      issuedAt: new Date(cert.issuedAt).toISOString(),
      renewals: cert.renewals,
      lastRenewal: cert.lastRenewal === null ? null : new Date(cert.lastRenewal).toISOString(),
      renewsItself,
    },
    cert.issuedAt,
    cert.notAfter,
    now,
  )
}

function withWarning(
  item: CertificateState,
  notBefore: number,
  notAfter: number,
  now: number,
): CertificateState {
  const warning = certificateWarning({ notBefore, notAfter, renewsItself: item.renewsItself }, now)
  return warning ? { ...item, warning } : item
}
