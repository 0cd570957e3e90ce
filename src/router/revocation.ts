import type { Logger } from 'pino'
import type { ChangeEvent } from '../controller/changes.js'
import type { RouterMetrics } from './metrics.js'
import type { Registry, Terminator } from './registry.js'
import { resetLegs } from './relay.js'
import { encodeOverlay } from '../wire/overlay.js'

/** Removes a terminator, tells its endpoint why, and resets the circuits it carries. */
export function dropTerminator(registry: Registry, t: Terminator, code: string): void {
  registry.unbind(t)
  if (!t.session.channel.closed)
    t.session.channel.send(encodeOverlay({ t: 'unbound', id: t.binding, code }))
  for (const relay of registry.relays) {
    if (relay.terminator === t) resetLegs([relay.dialerLeg, relay.hostLeg], code)
  }
  for (const transit of registry.transits) {
    if (transit.terminator === t) resetLegs([transit.inLeg, transit.outLeg], code)
  }
}

/**
 * Applies a change pushed by the controller at once: sessions holding a revoked certificate are
 * closed, circuits and terminators whose permission was lost are reset, identities that lost
 * access to this router are disconnected.
 */
export function applyChange(
  event: ChangeEvent,
  deps: {
    registry: Registry
    revoked: Set<string>
    routerId: string
    metrics: RouterMetrics
    log: Logger
  },
): void {
  const started = process.hrtime.bigint()
  const { registry } = deps
  let closed = 0
  for (const r of event.revoked) for (const fp of r.fingerprints) deps.revoked.add(fp)
  for (const session of registry.sessions) {
    const lostRouter = event.lostRouterAccess.some(
      (a) => a.routerId === deps.routerId && a.identityId === session.identityId,
    )
    if (deps.revoked.has(session.fingerprint)) {
      session.channel.close('ZH_ROUTER_CERT_REVOKED')
      closed++
    } else if (lostRouter) {
      session.channel.close('ZH_ROUTER_PERMISSION_REVOKED')
      closed++
    }
  }
  // Circuits other routers forwarded here: their dialer is connected elsewhere, so the checks
  // run on what the ingress router vouched for.
  for (const transit of registry.transits) {
    const code = deps.revoked.has(transit.fingerprint)
      ? 'ZH_ROUTER_CERT_REVOKED'
      : event.lostRouterAccess.some(
            (a) => a.routerId === transit.ingress && a.identityId === transit.identityId,
          ) ||
          event.lost.some(
            (l) =>
              l.action === 'dial' &&
              l.identityId === transit.identityId &&
              l.serviceId === transit.serviceId,
          )
        ? 'ZH_ROUTER_PERMISSION_REVOKED'
        : undefined
    if (code) {
      resetLegs([transit.inLeg, transit.outLeg], code)
      closed++
    }
  }
  for (const lost of event.lost) {
    registry.forget(lost.identityId, lost.serviceId, lost.action)
    if (lost.action === 'dial') {
      for (const relay of registry.relays) {
        if (relay.dialer.identityId === lost.identityId && relay.serviceId === lost.serviceId) {
          resetLegs([relay.dialerLeg, relay.hostLeg], 'ZH_ROUTER_PERMISSION_REVOKED')
          closed++
        }
      }
    } else {
      for (const session of registry.sessions) {
        if (session.identityId !== lost.identityId) continue
        for (const t of [...session.bindings.values()]) {
          if (t.serviceId !== lost.serviceId) continue
          dropTerminator(registry, t, 'ZH_ROUTER_PERMISSION_REVOKED')
          closed++
        }
      }
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  deps.metrics.teardown.observe(seconds)
  deps.metrics.terminators.set(registry.terminators)
  deps.log.info(
    { lost: event.lost.length, revoked: event.revoked.length, closed, seconds },
    'applied pushed change',
  )
}
