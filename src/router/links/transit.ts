import { verifyGrant } from '../../controller/grants/token.js'
import { ZhError, isZhError } from '../../errors.js'
import type { PendingCircuit } from '../../wire/index.js'
import type { GrantCheck } from '../authorize.js'
import type { Transit } from '../registry.js'
import { joinLegs, resetLegs, type RelayTap } from '../relay.js'
import { openHostLeg, type RouteDeps } from './forward.js'
import type { Link } from './links.js'
import { decodeForwardMeta, MAX_HOPS } from './messages.js'

/** What the transit side of a link needs. */
export interface TransitDeps extends RouteDeps {
  check: GrantCheck
  isRevoked(fingerprint: string): boolean
  tap?: RelayTap
}

const CODE = /^[A-Z0-9_]{1,64}$/

/**
 * A circuit another router forwarded to us. Trusts nothing it says beyond what it can check
 * offline: the dialer's grant is verified again (controller signature, expiry, dial, service,
 * issued to that identity and certificate, for the ingress router), the certificate must not be
 * revoked nor the permission lost, the hop count must be within the limit, and on the first hop
 * the ingress must be the very router that sent it. Then it goes on like a local dial.
 */
export async function onTransit(
  link: Link,
  pending: PendingCircuit,
  deps: TransitDeps,
): Promise<void> {
  try {
    const meta = decodeForwardMeta(pending.meta)
    if (meta.hops > MAX_HOPS) throw new ZhError('ZH_ROUTER_HOP_LIMIT', `${meta.hops} links`)
    if (meta.hops === 1 && meta.ingress !== link.peerId)
      throw new ZhError('ZH_ROUTER_FORWARD_INVALID', 'the ingress is not the sending router')
    if (deps.isRevoked(meta.fingerprint)) throw new ZhError('ZH_ROUTER_CERT_REVOKED')
    const claims = await verifyGrant(meta.grant, deps.check.grantKey, {
      network: deps.check.network,
      identityId: meta.dialer,
      fingerprint: meta.fingerprint,
      serviceName: meta.service,
      action: 'dial',
      routerId: meta.ingress,
    })
    if (deps.check.isLost(claims.sub, claims.svc, claims.act, claims.iat))
      throw new ZhError('ZH_ROUTER_PERMISSION_REVOKED', `dial ${meta.service}`)
    const dialer = {
      identityId: meta.dialer,
      fingerprint: meta.fingerprint,
      ingress: meta.ingress,
      grant: meta.grant,
    }
    const host = await openHostLeg(deps, claims, dialer, meta.hops, link.peerId)
    if (pending.abandoned || link.channel.closed) {
      host.release()
      host.leg.destroy()
      return
    }
    const inLeg = pending.accept()
    const transit: Transit = {
      identityId: meta.dialer,
      fingerprint: meta.fingerprint,
      ingress: meta.ingress,
      serviceId: claims.svc,
      from: link.channel,
      via: host.via,
      terminator: host.terminator,
      inLeg,
      outLeg: host.leg,
    }
    deps.registry.transits.add(transit)
    deps.metrics.circuits.inc()
    deps.metrics.dials.inc({ result: 'transit' })
    // A revocation pushed while the grant was being checked must not miss this circuit.
    if (deps.isRevoked(meta.fingerprint)) resetLegs([inLeg, host.leg], 'ZH_ROUTER_CERT_REVOKED')
    const tap: RelayTap = (direction, chunk) => {
      deps.metrics.relayed[direction].inc(chunk.length)
      deps.tap?.(direction, chunk)
    }
    joinLegs(inLeg, host.leg, tap, () => {
      if (deps.registry.transits.delete(transit)) {
        host.release()
        deps.metrics.circuits.dec()
      }
    })
  } catch (err) {
    const code = isZhError(err) ? err.code : 'ZH_INTERNAL'
    deps.metrics.dials.inc({ result: code })
    deps.log.info({ peer: link.peerId, code }, 'forwarded circuit refused')
    if (!pending.decided && !pending.abandoned)
      pending.reject(CODE.test(code) ? code : 'ZH_INTERNAL')
  }
}
