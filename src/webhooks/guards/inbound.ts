import type { IncomingMessage } from 'node:http'
import type { TLSSocket } from 'node:tls'
import { ZhError } from '../../errors.js'
import { secretEqual } from '../crypto.js'
import { cidrSet } from './cidr.js'

/**
 * A check on who is calling, run by the receiver middleware before the body is read. It throws
 * a ZhError (401 or 403) to refuse.
 */
export type InboundGuard = (req: IncomingMessage) => void

/** Options of {@link ipAllowList}. */
export interface IpAllowListOptions {
  /**
   * The caller's address; default the socket's peer. Behind a reverse proxy, return the
   * address the proxy appended (never a header value the caller can set itself).
   */
  readonly address?: (req: IncomingMessage) => string | undefined
}

/**
 * Refuses callers outside the given CIDR ranges (IPv4 and IPv6; `::ffff:a.b.c.d` peers are
 * matched as IPv4) with ZH_WEBHOOK_IP_FORBIDDEN (403).
 *
 * @example
 * ```ts
 * const guards = [ipAllowList(['192.30.252.0/22', '2a0a:a440::/29'])] // GitHub hooks
 * http.createServer(webhookHandler({ scheme: 'github', secret, guards, handler }))
 * ```
 */
export function ipAllowList(
  ranges: readonly string[],
  options: IpAllowListOptions = {},
): InboundGuard {
  const allowed = cidrSet(ranges, 'ZH_WEBHOOK_OPTIONS_INVALID')
  const addressOf = options.address ?? ((req: IncomingMessage) => req.socket.remoteAddress)
  return (req) => {
    const address = addressOf(req)
    if (address === undefined || !allowed.has(address)) throw new ZhError('ZH_WEBHOOK_IP_FORBIDDEN')
  }
}

/**
 * Requires `Authorization: Bearer <token>` with one of the tokens (compared in constant time;
 * several allow rotation): ZH_WEBHOOK_TOKEN_MISSING or ZH_WEBHOOK_TOKEN_INVALID (401).
 *
 * @example
 * ```ts
 * const guards = [bearerToken(process.env.HOOK_TOKEN!)]
 * ```
 */
export function bearerToken(tokens: string | readonly string[]): InboundGuard {
  const accepted = typeof tokens === 'string' ? [tokens] : [...tokens]
  if (accepted.length === 0 || accepted.some((t) => typeof t !== 'string' || t.length < 16)) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'bearer tokens are strings of 16+ characters')
  }
  return (req) => {
    const header = req.headers.authorization
    const match = typeof header === 'string' ? /^Bearer +(\S+) *$/i.exec(header) : null
    if (!match) throw new ZhError('ZH_WEBHOOK_TOKEN_MISSING')
    // Every token is compared, so the time taken does not say which one was close.
    const presented = match[1]!
    const ok = accepted.map((token) => secretEqual(token, presented)).includes(true)
    if (!ok) throw new ZhError('ZH_WEBHOOK_TOKEN_INVALID')
  }
}

/** Options of {@link clientCertificate}. */
export interface ClientCertificateOptions {
  /** SHA-256 fingerprints (hex, colons optional) of the certificates accepted. */
  readonly fingerprints?: readonly string[]
  /** Subject common names accepted. */
  readonly subjects?: readonly string[]
}

/**
 * Requires a client certificate the TLS server verified against its CA (`requestCert: true`,
 * `ca`, and `req.socket.authorized`): ZH_WEBHOOK_CLIENT_CERT_REQUIRED (401); optionally one of
 * the listed fingerprints or subjects: ZH_WEBHOOK_CLIENT_CERT_FORBIDDEN (403).
 *
 * @example
 * ```ts
 * const server = https.createServer({ key, cert, ca, requestCert: true, rejectUnauthorized: false },
 *   webhookHandler({ scheme: 'standard', secret, guards: [clientCertificate({ subjects: ['billing'] })], handler }))
 * ```
 */
export function clientCertificate(options: ClientCertificateOptions = {}): InboundGuard {
  const fingerprints = options.fingerprints?.map(normalizeFingerprint)
  if (fingerprints?.some((f) => !/^[0-9a-f]{64}$/.test(f))) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'fingerprints are SHA-256 in hex')
  }
  const subjects = options.subjects
  return (req) => {
    const socket = req.socket as Partial<TLSSocket>
    if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') {
      throw new ZhError('ZH_WEBHOOK_CLIENT_CERT_REQUIRED')
    }
    const cert = socket.getPeerCertificate()
    if (!cert?.fingerprint256) throw new ZhError('ZH_WEBHOOK_CLIENT_CERT_REQUIRED')
    const byPrint = fingerprints?.includes(normalizeFingerprint(cert.fingerprint256))
    const cn = cert.subject?.CN
    const bySubject = subjects?.some((s) => (Array.isArray(cn) ? cn.includes(s) : cn === s))
    if ((fingerprints || subjects) && !byPrint && !bySubject) {
      throw new ZhError('ZH_WEBHOOK_CLIENT_CERT_FORBIDDEN')
    }
  }
}

const normalizeFingerprint = (text: string): string => text.replace(/:/g, '').toLowerCase()
