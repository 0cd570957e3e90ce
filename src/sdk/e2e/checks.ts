import type { KeyObject } from 'node:crypto'
import type { TLSSocket } from 'node:tls'
import { verifyGrant, type GrantClaims } from '../../controller/grants/token.js'
import type { Action } from '../../controller/policy/types.js'
import { ZhError, isZhError } from '../../errors.js'
import { verifyCertificate } from '../../pki/verify.js'
import type { IdentityFile } from '../identity-file.js'
import { E2E_ALPN } from './tls.js'

/** Who the TLS peer is, by its certificate. */
export interface PeerCertificate {
  identityId: string
  fingerprint: string
}

/**
 * Checks the certificate the TLS peer proved it holds: an identity (not a router or the
 * controller) of our network, signed by our CA, valid now, with the EKU of its role. OpenSSL has
 * already checked the chain; this names the principal and pins the fingerprint for the grant.
 */
export function checkPeerCertificate(
  socket: TLSSocket,
  identity: IdentityFile,
  eku: 'clientAuth' | 'serverAuth',
): PeerCertificate {
  if (socket.alpnProtocol !== E2E_ALPN) {
    throw new ZhError('ZH_E2E_PROTOCOL', `ALPN ${JSON.stringify(socket.alpnProtocol)}`)
  }
  const cert = socket.getPeerX509Certificate()
  if (!cert) throw new ZhError('ZH_E2E_PEER_CERT_INVALID', 'no certificate')
  try {
    const verified = verifyCertificate(cert, identity.ca, {
      network: identity.network,
      kind: 'identity',
      eku,
    })
    return { identityId: verified.principal.id, fingerprint: verified.fingerprint }
  } catch (err) {
    const detail = isZhError(err) ? (err.detail ?? err.code) : String(err)
    throw new ZhError('ZH_E2E_PEER_CERT_INVALID', detail, { cause: err })
  }
}

/** What the peer's grant must say. */
export interface GrantRequirement {
  grantKey: KeyObject
  network: string
  /** `bind` when the peer is the hoster, `dial` when it is the dialer. */
  action: Action
  serviceName: string
  serviceId?: string
  peer: PeerCertificate
  now: number
}

/**
 * Checks the grant the peer sent inside the channel: signed by the controller, unexpired, of our
 * network, issued to the very identity and certificate that completed the TLS handshake, for the
 * expected action, and for this service. A grant for another service is ZH_E2E_WRONG_SERVICE
 * (a router sent the circuit to the wrong endpoint); anything else is ZH_E2E_PEER_GRANT_INVALID.
 */
export async function checkPeerGrant(token: string, req: GrantRequirement): Promise<GrantClaims> {
  let claims: GrantClaims
  try {
    claims = await verifyGrantOnce(token, req.grantKey, req.network, req.now)
  } catch (err) {
    const detail = isZhError(err) ? `${err.code}${err.detail ? `: ${err.detail}` : ''}` : ''
    throw new ZhError('ZH_E2E_PEER_GRANT_INVALID', detail, { cause: err })
  }
  if (claims.sub !== req.peer.identityId || claims.cfp !== req.peer.fingerprint) {
    throw new ZhError('ZH_E2E_PEER_GRANT_INVALID', 'issued to another identity or certificate')
  }
  if (claims.act !== req.action) {
    throw new ZhError('ZH_E2E_PEER_GRANT_INVALID', `a ${claims.act} grant, expected ${req.action}`)
  }
  if (
    claims.sn !== req.serviceName ||
    (req.serviceId !== undefined && claims.svc !== req.serviceId)
  ) {
    throw new ZhError('ZH_E2E_WRONG_SERVICE', `the peer may ${claims.act} ${claims.sn}`)
  }
  return claims
}

/** Most verified grants remembered per grant key; the oldest goes first. */
const MAX_VERIFIED_GRANTS = 1024
const verifiedGrants = new WeakMap<KeyObject, Map<string, GrantClaims>>()

/**
 * `verifyGrant`, remembering each token whose signature verified under `key`: a dialer presents
 * the same grant on every dial until it is renewed, and a signature check is most of a grant's
 * cost. A remembered token is used only while it has not expired (exactly as `verifyGrant`
 * counts, whole seconds); past that, and for any token not seen, the full check runs and decides.
 * Failures are never remembered. Every other check of the claims runs on each use.
 */
async function verifyGrantOnce(
  token: string,
  key: KeyObject,
  network: string,
  now: number,
): Promise<GrantClaims> {
  let known = verifiedGrants.get(key)
  const seen = known?.get(token)
  if (seen && seen.net === network && seen.exp > Math.floor(now / 1000)) {
    return { ...seen, rtr: [...seen.rtr] }
  }
  const claims = await verifyGrant(token, key, { network, now })
  if (!known) verifiedGrants.set(key, (known = new Map<string, GrantClaims>()))
  if (known.size >= MAX_VERIFIED_GRANTS) known.delete(known.keys().next().value!)
  known.set(token, { ...claims, rtr: [...claims.rtr] })
  return claims
}
