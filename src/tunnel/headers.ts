import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http'

/** The header naming the caller (its name when known, else its id). */
export const IDENTITY_HEADER = 'x-zerohook-identity'
/** The header with the caller's identity id. */
export const IDENTITY_ID_HEADER = 'x-zerohook-identity-id'

// RFC 9110 §7.6.1: headers meant for one connection only, never forwarded by a proxy.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
])

// Client-address headers: the app sees the tunnel on loopback, which apps commonly trust as
// their proxy, so a caller's own values would be believed. The overlay caller has no IP worth
// passing on; who it is travels in X-Zerohook-Identity instead.
const FORWARDING = [
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-real-ip',
]

/** Who called, as the end-to-end layer proved it. */
export interface TunnelCaller {
  identityId: string
  name?: string
}

/**
 * The headers a tunnel host sends to its app: hop-by-hop headers (and any the caller listed in
 * `Connection`) dropped, every `X-Zerohook-*` header from the caller removed so it cannot be
 * spoofed, client-address headers (`Forwarded`, `X-Forwarded-For`, `X-Real-IP`...) removed for
 * the same reason, then the caller's proven identity added. `Host` becomes the app's authority and the
 * service name the caller used is kept in `X-Forwarded-Host`.
 *
 * @example
 * ```ts
 * const headers = upstreamRequestHeaders(req.headers, { identityId: 'id-1', name: 'ci' }, '127.0.0.1:8080')
 * ```
 */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  caller: TunnelCaller,
  authority: string,
): OutgoingHttpHeaders {
  const out = proxiedRequestHeaders(incoming)
  for (const name of Object.keys(out)) if (name.startsWith('x-zerohook-')) delete out[name]
  for (const name of FORWARDING) delete out[name]
  delete out['x-forwarded-host']
  if (typeof incoming.host === 'string') out['x-forwarded-host'] = incoming.host
  out.host = authority
  out[IDENTITY_HEADER] = caller.name ?? caller.identityId
  out[IDENTITY_ID_HEADER] = caller.identityId
  return out
}

/**
 * A request's headers as a proxy passes them on: hop-by-hop headers (and any listed in
 * `Connection`) dropped, and `Expect` too, since the server here already answered any
 * `Expect: 100-continue` and upstream gets the whole body. Everything else, `Host` included, as
 * it came: what `tunnel intercept --http` sends over the overlay.
 *
 * @example
 * ```ts
 * proxiedRequestHeaders({ connection: 'close', host: '127.0.0.1:8081' }) // { host: '127.0.0.1:8081' }
 * ```
 */
export function proxiedRequestHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const out = forwardable(incoming)
  delete out.expect
  return out
}

/**
 * The app's response headers as the caller gets them: hop-by-hop headers dropped.
 *
 * @example
 * ```ts
 * res.writeHead(answer.statusCode!, downstreamResponseHeaders(answer.headers))
 * ```
 */
export function downstreamResponseHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  return forwardable(incoming)
}

function forwardable(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const listed = new Set(
    String(incoming.connection ?? '')
      .split(',')
      .map((t) => t.trim().toLowerCase())
      .filter(Boolean),
  )
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue
    out[name] = value
  }
  return out
}
