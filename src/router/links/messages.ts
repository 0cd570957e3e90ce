import { ZhError } from '../../errors.js'

/**
 * What routers say to each other over a link: the OPEN metadata of a forwarded dial, and the
 * channel messages that measure the link's round-trip time. JSON, checked field by field.
 */

/** OPEN metadata of a circuit forwarded over a link. */
export interface ForwardMeta {
  t: 'forward'
  service: string
  /** The dialer's own dial grant, re-verified offline by every router on the path. */
  grant: string
  /** The dialer identity and certificate fingerprint the ingress router authenticated. */
  dialer: string
  fingerprint: string
  /** The router the dialer connected to (must be in the grant's routers). */
  ingress: string
  /** Links crossed so far, this one included. */
  hops: number
}

/**
 * A link's RTT probe and its answer; `redial` asks the dialing side for a new link (the
 * accepting side renewed its certificate, which only a new handshake shows).
 */
export type LinkMessage = { t: 'ping'; n: number } | { t: 'pong'; n: number } | { t: 'redial' }

/** Most links a circuit may cross: any longer path is a loop or a misconfiguration. */
export const MAX_HOPS = 4

const MAX_TEXT = 8192
const encoder = new TextEncoder()

/** Encodes forward metadata or a link message. */
export function encodeLink(value: ForwardMeta | LinkMessage): Uint8Array {
  return encoder.encode(JSON.stringify(value))
}

function parse(bytes: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(bytes).toString('utf8'))
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      return value as Record<string, unknown>
  } catch {
    // fall through
  }
  return undefined
}

/** True when OPEN metadata claims to be a forward (an endpoint must never send one). */
export function looksForwarded(bytes: Uint8Array): boolean {
  return parse(bytes)?.t === 'forward'
}

function text(v: unknown, field: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TEXT)
    throw new ZhError('ZH_ROUTER_FORWARD_INVALID', `field "${field}"`)
  return v
}

/** Decodes a forward's OPEN metadata (ZH_ROUTER_FORWARD_INVALID on anything else). */
export function decodeForwardMeta(bytes: Uint8Array): ForwardMeta {
  const m = parse(bytes)
  if (m?.t !== 'forward') throw new ZhError('ZH_ROUTER_FORWARD_INVALID', 'not a forward')
  const hops = m.hops
  if (typeof hops !== 'number' || !Number.isSafeInteger(hops) || hops < 1)
    throw new ZhError('ZH_ROUTER_FORWARD_INVALID', 'field "hops"')
  return {
    t: 'forward',
    service: text(m.service, 'service'),
    grant: text(m.grant, 'grant'),
    dialer: text(m.dialer, 'dialer'),
    fingerprint: text(m.fingerprint, 'fingerprint'),
    ingress: text(m.ingress, 'ingress'),
    hops,
  }
}

/** Decodes a link message; undefined for anything else (ignored, so versions can add some). */
export function decodeLinkMessage(bytes: Uint8Array): LinkMessage | undefined {
  const m = parse(bytes)
  if ((m?.t === 'ping' || m?.t === 'pong') && Number.isSafeInteger(m.n))
    return { t: m.t, n: m.n as number }
  if (m?.t === 'redial') return { t: 'redial' }
  return undefined
}
