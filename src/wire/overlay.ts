import { ZhError } from '../errors.js'

/**
 * The overlay's messages between endpoints and routers, carried by a wire channel: channel
 * MESSAGEs for binding, and OPEN metadata for dials (endpoint → router) and for terminations
 * (router → hosting endpoint). JSON, bounded by the frame limits, checked field by field.
 */

/** Endpoint → router: host a service here (grant: a bind grant for it), or stop. */
export type EndpointMessage =
  { t: 'bind'; id: number; service: string; grant: string } | { t: 'unbind'; id: number }

/**
 * Router → endpoint: a binding is live, refused, or was removed (revocation, expiry); or these
 * circuits of the endpoint's run over a router link that is going away (a renewed certificate):
 * they may finish, but should carry nothing new.
 */
export type RouterMessage =
  | { t: 'bound'; id: number }
  | { t: 'bind-failed'; id: number; code: string }
  | { t: 'unbound'; id: number; code: string }
  | { t: 'draining'; circuits: number[] }

/** Most circuit ids in one `draining` message (it stays far below the frame limit). */
export const MAX_DRAINING_IDS = 1000

/** OPEN metadata of a dial: the service name and the dialer's dial grant for it. */
export interface DialMeta {
  service: string
  grant: string
}

/** OPEN metadata of a termination: which binding, and who dialed. */
export interface TerminateMeta {
  binding: number
  service: string
  dialer: string
}

const MAX_TEXT = 8192
const encoder = new TextEncoder()

/** Encodes a message or metadata object. */
export function encodeOverlay(
  value: EndpointMessage | RouterMessage | DialMeta | TerminateMeta,
): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}

function parse(bytes: Uint8Array): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'))
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>
  } catch {
    // fall through
  }
  throw new ZhError('ZH_OVERLAY_MESSAGE_INVALID', 'not a JSON object')
}

function text(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT) {
    throw new ZhError('ZH_OVERLAY_MESSAGE_INVALID', `field "${field}"`)
  }
  return v
}

function id(v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    throw new ZhError('ZH_OVERLAY_MESSAGE_INVALID', 'field "id"')
  return v
}

/** Decodes an endpoint's channel message (ZH_OVERLAY_MESSAGE_INVALID on anything else). */
export function decodeEndpointMessage(bytes: Uint8Array): EndpointMessage {
  const m = parse(bytes)
  if (m.t === 'bind')
    return {
      t: 'bind',
      id: id(m.id),
      service: text(m.service, 'service'),
      grant: text(m.grant, 'grant'),
    }
  if (m.t === 'unbind') return { t: 'unbind', id: id(m.id) }
  throw new ZhError('ZH_OVERLAY_MESSAGE_INVALID', 'unknown message type')
}

/** The types of router messages this version knows. */
const ROUTER_MESSAGE_TYPES = new Set(['bound', 'bind-failed', 'unbound', 'draining'])

/**
 * Decodes a router's channel message, or undefined for a well-formed one of a type this version
 * does not know: a newer router may tell its endpoints more (as HTTP/2 ignores unknown frame
 * types), and an older SDK must not drop its link over it. A known type that is malformed is
 * ZH_OVERLAY_MESSAGE_INVALID, as is anything that is not a message at all.
 */
export function decodeRouterMessageIfKnown(bytes: Uint8Array): RouterMessage | undefined {
  const m = parse(bytes)
  if (typeof m.t === 'string' && !ROUTER_MESSAGE_TYPES.has(m.t)) return undefined
  return routerMessage(m)
}

/** Decodes a router's channel message. */
export function decodeRouterMessage(bytes: Uint8Array): RouterMessage {
  return routerMessage(parse(bytes))
}

function routerMessage(m: Record<string, unknown>): RouterMessage {
  if (m.t === 'bound') return { t: 'bound', id: id(m.id) }
  if (m.t === 'bind-failed' || m.t === 'unbound')
    return { t: m.t, id: id(m.id), code: text(m.code, 'code') }
  if (m.t === 'draining') {
    const list = m.circuits
    if (!Array.isArray(list) || list.length > MAX_DRAINING_IDS)
      throw new ZhError('ZH_OVERLAY_MESSAGE_INVALID', 'field "circuits"')
    return { t: 'draining', circuits: list.map(id) }
  }
  throw new ZhError('ZH_OVERLAY_MESSAGE_INVALID', 'unknown message type')
}

/** Decodes a dial's OPEN metadata. */
export function decodeDialMeta(bytes: Uint8Array): DialMeta {
  const m = parse(bytes)
  return { service: text(m.service, 'service'), grant: text(m.grant, 'grant') }
}

/** Decodes a termination's OPEN metadata. */
export function decodeTerminateMeta(bytes: Uint8Array): TerminateMeta {
  const m = parse(bytes)
  return {
    binding: id(m.binding),
    service: text(m.service, 'service'),
    dialer: text(m.dialer, 'dialer'),
  }
}
