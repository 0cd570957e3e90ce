import { isIP } from 'node:net'
import { ZhError } from '../errors.js'

/** Where a tunnel host forwards: a plain HTTP app beside it. */
export interface TunnelTarget {
  /** Host name or IP literal, without brackets. */
  host: string
  port: number
  /** `host:port` as sent in the Host header (brackets around IPv6). */
  authority: string
}

/**
 * Checks the `--to` URL of a tunnel host: `http:` only (the app is beside the tunnel, the overlay
 * already encrypted the hop that matters), an explicit port, no path, query, fragment or
 * credentials (they would be silently dropped or leak into logs), and a loopback host unless
 * `allowRemote` (a sidecar on a private network). Anything else is ZH_TUNNEL_TARGET_INVALID.
 *
 * @example
 * ```ts
 * parseTarget('http://127.0.0.1:8080') // { host: '127.0.0.1', port: 8080, authority: '127.0.0.1:8080' }
 * ```
 */
export function parseTarget(to: string, opts: { allowRemote?: boolean } = {}): TunnelTarget {
  let url: URL
  try {
    url = new URL(to)
  } catch {
    throw new ZhError('ZH_TUNNEL_TARGET_INVALID', 'not a URL')
  }
  if (url.protocol !== 'http:') throw new ZhError('ZH_TUNNEL_TARGET_INVALID', 'use http://')
  if (url.username || url.password)
    throw new ZhError('ZH_TUNNEL_TARGET_INVALID', 'no credentials in the URL')
  if (url.pathname !== '/' || url.search || url.hash || /[?#]/.test(to))
    throw new ZhError('ZH_TUNNEL_TARGET_INVALID', 'no path, query or fragment')
  // URL drops the default port 80; require it spelled out so the target is unambiguous.
  if (!/:\d+\/?$/.test(to)) throw new ZhError('ZH_TUNNEL_TARGET_INVALID', 'name the port')
  const port = url.port === '' ? 80 : Number(url.port)
  if (port === 0) throw new ZhError('ZH_TUNNEL_TARGET_INVALID', 'port 0 is not an app')
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
  if (!opts.allowRemote && !isLoopbackHost(host))
    throw new ZhError('ZH_TUNNEL_TARGET_INVALID', `${host} is not a loopback address`)
  return { host, port, authority: url.host }
}

/**
 * True for `localhost`, 127.0.0.0/8 and ::1 (also as a v4-mapped address).
 *
 * @example
 * ```ts
 * isLoopbackHost('127.0.0.1') // true
 * isLoopbackHost('0.0.0.0') // false: every interface
 * ```
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase()
  if (h === 'localhost') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h) || h === '0:0:0:0:0:0:0:1'
  return false
}

/**
 * Splits `HOST:PORT` or `[IPv6]:PORT` (port 0 allowed) of `--listen`, or throws
 * ZH_TUNNEL_LISTEN_INVALID.
 *
 * @example
 * ```ts
 * parseListen('127.0.0.1:0') // { host: '127.0.0.1', port: 0 }
 * ```
 */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]\s]+)):(\d{1,5})$/.exec(text)
  const port = Number(m?.[3])
  if (!m || port > 65535) throw new ZhError('ZH_TUNNEL_LISTEN_INVALID', text)
  return { host: (m[1] ?? m[2])!, port }
}
