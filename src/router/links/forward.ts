import type { Logger } from 'pino'
import type { GrantClaims } from '../../controller/grants/token.js'
import { LOCAL, type RoutingTable } from '../../controller/routing/paths.js'
import { ZhError, isZhError } from '../../errors.js'
import type { Channel, Circuit } from '../../wire/index.js'
import { encodeOverlay } from '../../wire/overlay.js'
import type { RouterMetrics } from '../metrics.js'
import type { Registry, Terminator } from '../registry.js'
import type { Link, LinkManager } from './links.js'
import { encodeLink, MAX_HOPS } from './messages.js'

/** The leg towards the service: to a local terminator, or over a link to the next router. */
export interface HostLeg {
  leg: Circuit
  terminator?: Terminator
  /** The link channel, when forwarded. */
  via?: Channel
  /** Call once when the circuit is over (load accounting). */
  release(): void
}

/** Who dialed, as the ingress router authenticated them, with the grant it checked. */
export interface DialerInfo {
  identityId: string
  fingerprint: string
  ingress: string
  grant: string
}

/** What choosing and opening a host leg needs. */
export interface RouteDeps {
  registry: Registry
  links: LinkManager
  /** The last routing table the controller pushed (kept through a controller outage). */
  table: { routes: RoutingTable }
  metrics: RouterMetrics
  log: Logger
}

/** Codes that hold whichever way the circuit goes: trying another path would not help. */
const FINAL = new Set([
  'ZH_GRANT_INVALID',
  'ZH_GRANT_EXPIRED',
  'ZH_GRANT_MISMATCH',
  'ZH_ROUTER_PERMISSION_REVOKED',
  'ZH_ROUTER_CERT_REVOKED',
  'ZH_ROUTER_FORWARD_REFUSED',
])

/**
 * Opens the host leg of an authorized dial. Follows the pushed table's ranking (the controller
 * already weighed latency and load); a hop whose link is down is skipped at once, before the
 * controller reacts, and a hop that fails for a reason of its own (no terminator left there, the
 * link died meanwhile) makes way for the next. A local terminator is the last resort when the
 * table does not list it (a table older than the binding). `hops` is the number of links the
 * circuit already crossed; `from` is the router it came from (never sent back there).
 *
 * @example
 * const host = await openHostLeg(deps, claims, { identityId, fingerprint, ingress: routerId, grant }, 0)
 */
export async function openHostLeg(
  deps: RouteDeps,
  claims: GrantClaims,
  dialer: DialerInfo,
  hops: number,
  from?: string,
): Promise<HostLeg> {
  const ranked = deps.table.routes[claims.svc] ?? []
  const hopsToTry = ranked.includes(LOCAL) ? ranked : [...ranked, LOCAL]
  let last: unknown
  for (const hop of hopsToTry) {
    try {
      if (hop === LOCAL) {
        const t = deps.registry.pick(claims.svc)
        if (t) return await openLocal(t, claims.sn, dialer.identityId)
        continue
      }
      if (hop === from || hops + 1 > MAX_HOPS) continue
      const link = deps.links.get(hop)
      if (!link) continue
      const meta = encodeLink({
        t: 'forward',
        service: claims.sn,
        grant: dialer.grant,
        dialer: dialer.identityId,
        fingerprint: dialer.fingerprint,
        ingress: dialer.ingress,
        hops: hops + 1,
      })
      const opened = await openOver(deps.links, hop, link, meta)
      deps.metrics.forwarded.inc({ role: hops === 0 ? 'ingress' : 'transit' })
      return { leg: opened.circuit, via: opened.link.channel, release: () => undefined }
    } catch (err) {
      if (isZhError(err) && FINAL.has(err.code)) throw err
      deps.log.debug({ hop, err: (err as Error).message }, 'route failed; trying the next')
      last = err
    }
  }
  if (isZhError(last, 'ZH_ROUTER_HOP_LIMIT')) throw last
  if (last === undefined && hops + 1 > MAX_HOPS && ranked.some((h) => h !== LOCAL))
    throw new ZhError('ZH_ROUTER_HOP_LIMIT', claims.sn)
  // Every path failed for reasons of its own (a link died, a terminator left): to the dialer it
  // is the code that makes the SDK try its other routers.
  throw new ZhError('ZH_ROUTER_NO_TERMINATOR', claims.sn)
}

/**
 * Opens a circuit over a link. When the link was replaced meanwhile (it drains: a renewed
 * certificate, or the peer dialed again) and closed under the OPEN, the new link gets it.
 */
async function openOver(
  links: LinkManager,
  hop: string,
  link: Link,
  meta: Uint8Array,
): Promise<{ circuit: Circuit; link: Link }> {
  try {
    return { circuit: (await link.channel.open(meta)).circuit, link }
  } catch (err) {
    const next = links.get(hop)
    if (!next || next === link || !link.channel.closed || (isZhError(err) && FINAL.has(err.code)))
      throw err
    return { circuit: (await next.channel.open(meta)).circuit, link: next }
  }
}

async function openLocal(t: Terminator, service: string, dialer: string): Promise<HostLeg> {
  t.circuits++
  try {
    const opened = await t.session.channel.open(
      encodeOverlay({ binding: t.binding, service, dialer }),
    )
    return { leg: opened.circuit, terminator: t, release: () => void t.circuits-- }
  } catch (err) {
    t.circuits--
    throw err
  }
}
