import type { KeyObject } from 'node:crypto'
import tls from 'node:tls'
import { publicKeyFromJwk } from '../../controller/signing-key.js'
import { ZhError, isZhError } from '../../errors.js'
import type { IdentityFile } from '../identity-file.js'

/**
 * ALPN id of the end-to-end layer. Endpoints use the same certificates for the hop to their
 * router, so the protocol id keeps an end-to-end handshake from being confused with any other.
 * Version 2 carries the data in our records (records/) instead of TLS application data: an
 * endpoint of version 1 fails the TLS handshake (no common protocol) instead of misreading them.
 */
export const E2E_ALPN = 'zh-e2e/2'

const grantKeys = new WeakMap<object, KeyObject>()

/** The controller's grant-signing public key from an identity file, parsed once. */
export function grantKeyOf(identity: IdentityFile): KeyObject {
  let key = grantKeys.get(identity.grantKey)
  if (!key) {
    key = publicKeyFromJwk(identity.grantKey)
    grantKeys.set(identity.grantKey, key)
  }
  return key
}

// Alerts by which the peer says it refused our certificate.
const REFUSED_ALERT =
  /^ERR_SSL_(SSLV3|TLSV1|TLSV13)_ALERT_(BAD_CERTIFICATE|UNKNOWN_CA|CERTIFICATE_\w+|ACCESS_DENIED|UNSUPPORTED_CERTIFICATE)$/

/**
 * Turns what a TLS socket or server reported into a `ZH_E2E_*` error: certificate problems of
 * the peer, refusal of ours, timeouts, and everything else as a failed handshake. Zerohook
 * errors raised by our own checks are returned as they are.
 */
export function tlsFailure(err: unknown, socket?: tls.TLSSocket): ZhError {
  // Our own verdicts pass through; a failed principal check is the peer's certificate's fault.
  if (isZhError(err) && err.code !== 'ZH_SERVER_IDENTITY_INVALID') return err
  const code = (err as { code?: unknown } | undefined)?.code
  const detail = typeof code === 'string' ? code : ((err as Error | undefined)?.message ?? '')
  const authorization = socket?.authorizationError
  if (authorization) {
    return new ZhError('ZH_E2E_PEER_CERT_INVALID', String(authorization), { cause: err })
  }
  if (
    code === 'ZH_SERVER_IDENTITY_INVALID' ||
    code === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE'
  ) {
    return new ZhError('ZH_E2E_PEER_CERT_INVALID', detail, { cause: err })
  }
  if (typeof code === 'string' && REFUSED_ALERT.test(code)) {
    return new ZhError('ZH_E2E_REFUSED', detail, { cause: err })
  }
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') {
    return new ZhError('ZH_E2E_TIMEOUT', detail, { cause: err })
  }
  return new ZhError('ZH_E2E_HANDSHAKE_FAILED', detail, { cause: err })
}
