import type { Logger } from 'pino'
import type { GrantClaims } from '../controller/grants/token.js'
import { ZhError, isZhError } from '../errors.js'
import {
  decodeDialMeta,
  decodeEndpointMessage,
  encodeOverlay,
  type EndpointMessage,
  type RouterMessage,
} from '../wire/overlay.js'
import { createChannel, type PendingCircuit } from '../wire/index.js'
import { authorizeGrant, type GrantCheck } from './authorize.js'
import type { EdgePeer } from './edge.js'
import type { RouterMetrics } from './metrics.js'
import type { Registry, Relay, Session } from './registry.js'
import { joinLegs, type RelayTap } from './relay.js'
import type { DialerInfo, HostLeg } from './links/forward.js'
import { looksForwarded } from './links/messages.js'

/** What the session handlers need from the router. */
export interface SessionDeps {
  registry: Registry
  check: GrantCheck
  metrics: RouterMetrics
  log: Logger
  tap?: RelayTap
  /** Opens the leg towards the service: a local terminator, or a link along the path. */
  openHost(claims: GrantClaims, dialer: DialerInfo): Promise<HostLeg>
}

const CODE = /^[A-Z0-9_]{1,64}$/

function codeOf(err: unknown): string {
  return isZhError(err) ? err.code : 'ZH_INTERNAL'
}

function send(session: Session, message: RouterMessage): void {
  if (!session.channel.closed) session.channel.send(encodeOverlay(message))
}

/** Runs one authenticated endpoint connection: its bindings and its dials. */
export function startSession(peer: EdgePeer, deps: SessionDeps): Session {
  const channel = createChannel(peer.socket, { role: 'acceptor' })
  const session: Session = {
    identityId: peer.identityId,
    fingerprint: peer.fingerprint,
    notAfter: peer.notAfter,
    channel,
    bindings: new Map(),
  }
  deps.registry.sessions.add(session)
  deps.metrics.connections.inc()
  channel.on('message', (bytes) => void onMessage(session, bytes, deps))
  channel.on('circuit', (pending) => void onDial(session, pending, deps))
  // The channel ends the socket itself (and destroys it after a grace period): destroying it here
  // would drop the GOAWAY that tells the endpoint why, still unflushed in the TLS layer.
  channel.on('close', () => {
    deps.registry.sessions.delete(session)
    deps.metrics.connections.dec()
    for (const t of session.bindings.values()) deps.registry.unbind(t)
    deps.metrics.terminators.set(deps.registry.terminators)
  })
  deps.log.info({ identity: session.identityId }, 'endpoint connected')
  return session
}

async function onMessage(session: Session, bytes: Uint8Array, deps: SessionDeps): Promise<void> {
  let message: EndpointMessage
  try {
    message = decodeEndpointMessage(bytes)
  } catch (err) {
    session.channel.close(codeOf(err))
    return
  }
  if (message.t === 'unbind') {
    const t = session.bindings.get(message.id)
    if (t) deps.registry.unbind(t)
    deps.metrics.terminators.set(deps.registry.terminators)
    return
  }
  try {
    const claims = await authorizeGrant(deps.check, session, message.grant, message.service, 'bind')
    if (session.channel.closed) return
    deps.registry.bind({
      session,
      binding: message.id,
      serviceId: claims.svc,
      serviceName: claims.sn,
      expiresAt: claims.exp * 1000,
      circuits: 0,
    })
    deps.metrics.terminators.set(deps.registry.terminators)
    send(session, { t: 'bound', id: message.id })
    deps.log.info({ identity: session.identityId, service: claims.sn }, 'terminator bound')
  } catch (err) {
    send(session, { t: 'bind-failed', id: message.id, code: codeOf(err) })
  }
}

async function onDial(dialer: Session, pending: PendingCircuit, deps: SessionDeps): Promise<void> {
  const refuse = (code: string) => {
    deps.metrics.dials.inc({ result: code })
    if (!pending.decided && !pending.abandoned)
      pending.reject(CODE.test(code) ? code : 'ZH_INTERNAL')
  }
  try {
    // Only a router link may forward; an endpoint claiming to is refused, whatever it holds.
    if (looksForwarded(pending.meta)) throw new ZhError('ZH_ROUTER_FORWARD_REFUSED')
    const meta = decodeDialMeta(pending.meta)
    const claims = await authorizeGrant(deps.check, dialer, meta.grant, meta.service, 'dial')
    const host = await deps.openHost(claims, {
      identityId: dialer.identityId,
      fingerprint: dialer.fingerprint,
      ingress: deps.check.routerId,
      grant: meta.grant,
    })
    const hostLeg = host.leg
    if (pending.abandoned || dialer.channel.closed) {
      host.release()
      hostLeg.destroy()
      return
    }
    const dialerLeg = pending.accept()
    const relay: Relay = {
      dialer,
      terminator: host.terminator,
      via: host.via,
      serviceId: claims.svc,
      dialerLeg,
      hostLeg,
      openedAt: Date.now(),
    }
    deps.registry.relays.add(relay)
    deps.metrics.circuits.inc()
    deps.metrics.dials.inc({ result: 'accepted' })
    const tap: RelayTap = (direction, chunk) => {
      deps.metrics.relayed[direction].inc(chunk.length)
      deps.tap?.(direction, chunk)
    }
    joinLegs(dialerLeg, hostLeg, tap, () => {
      if (deps.registry.relays.delete(relay)) {
        host.release()
        deps.metrics.circuits.dec()
      }
    })
  } catch (err) {
    refuse(codeOf(err))
  }
}
