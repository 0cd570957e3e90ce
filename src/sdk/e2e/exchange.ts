import type { TLSSocket } from 'node:tls'
import type { GrantClaims } from '../../controller/grants/token.js'
import type { Action } from '../../controller/policy/types.js'
import { ZhError, isZhCode } from '../../errors.js'
import type { Attempt } from './attempt.js'
import { checkPeerCertificate, checkPeerGrant } from './checks.js'
import { MessageReader, encodeMessage, type E2eMessage } from './messages.js'
import { grantKeyOf } from './tls.js'
import type { E2eLocal, E2eOptions, E2ePeer } from './types.js'

/**
 * The grant exchange, the same on both sides once TLS is up: send our grant, read the peer's,
 * check it, send `ok`, and wait for the peer's `ok`. Both sides write before they read, so it
 * cannot deadlock, and neither hands the socket over before both verdicts are in. Resolves with
 * the peer's checked grant; rejects with the local check's code, or ZH_E2E_REFUSED when the peer
 * refused us. Our own verdict comes first: a refusal that arrives while our check runs waits in
 * the reader. Bytes the peer sent after its `ok` stay unread in the socket.
 */
export async function exchangeGrants(
  socket: TLSSocket,
  grant: string,
  checkPeer: (token: string) => Promise<GrantClaims>,
): Promise<GrantClaims> {
  const reader = new MessageReader(socket)
  socket.write(encodeMessage({ type: 'grant', grant }))
  const theirs = await reader.next()
  if (theirs.type !== 'grant') throw unexpected(theirs, 'a grant')
  const claims = await checkPeer(theirs.grant)
  socket.write(encodeMessage({ type: 'ok' }))
  const verdict = await reader.next()
  if (verdict.type !== 'ok') throw unexpected(verdict, 'ok')
  return claims
}

function unexpected(message: E2eMessage, expected: string): ZhError {
  if (message.type === 'refuse') {
    // The peer's reason is informative only: it decides nothing here but the failure itself.
    const reason = isZhCode(message.code) ? message.code : 'an unknown reason'
    return new ZhError('ZH_E2E_REFUSED', `the peer refused: ${reason}`)
  }
  return new ZhError('ZH_E2E_PROTOCOL', `expected ${expected}, got ${message.type}`)
}

/** Which side of the handshake we are, and what the peer must therefore hold. */
export interface Role {
  /** The EKU the peer's certificate needs: the dialer is the TLS client, the hoster the server. */
  peerEku: 'clientAuth' | 'serverAuth'
  /** The grant the peer needs: `bind` for the hoster, `dial` for the dialer. */
  peerAction: Action
  service: { name: string; id?: string }
}

/**
 * Everything after the TLS handshake, the same on both sides: check the peer's certificate, run
 * the grant exchange, and name the peer. Resolves once both verdicts are `ok`; the caller then
 * switches the circuit to records (records/handover.ts).
 */
export async function authenticatePeer(
  socket: TLSSocket,
  attempt: Attempt,
  local: E2eLocal,
  role: Role,
  options: E2eOptions,
): Promise<E2ePeer> {
  const { identity } = local
  attempt.secured()
  const peerCert = checkPeerCertificate(socket, identity, role.peerEku)
  const grant = await exchangeGrants(socket, local.grant, (token) =>
    checkPeerGrant(token, {
      grantKey: grantKeyOf(identity),
      network: identity.network,
      action: role.peerAction,
      serviceName: role.service.name,
      serviceId: role.service.id,
      peer: peerCert,
      now: options.now?.() ?? Date.now(),
    }),
  )
  return {
    ...peerCert,
    ...(grant.nm === undefined ? {} : { name: grant.nm }),
    grant,
  }
}
