import type { IncomingMessage } from 'node:http'
import { ZhError } from '../../errors.js'

/**
 * The addresses the console answers to: its own loopback host and port, by IP or as localhost.
 * A request naming another Host (a DNS-rebinding page) or sent from another Origin is refused
 * before anything else runs.
 */
export function allowedHosts(host: string, port: number): Set<string> {
  const hosts = new Set([`localhost:${port}`])
  if (host === '::1' || host.includes(':')) hosts.add(`[::1]:${port}`)
  else hosts.add(`${host}:${port}`)
  hosts.add(`127.0.0.1:${port}`)
  return hosts
}

/** Methods that change something: they need the CSRF token and a same-origin Origin. */
export function isStateChanging(method: string | undefined): boolean {
  return method !== 'GET' && method !== 'HEAD'
}

/**
 * Refuses a request whose Host is not the console's own, whose Origin (when sent, and always
 * for a state-changing request) is another site's, or that the browser marks cross-site.
 */
export function checkOrigin(req: IncomingMessage, hosts: Set<string>): void {
  const host = req.headers.host
  if (!host || !hosts.has(host.toLowerCase()))
    throw new ZhError('ZH_CONSOLE_ORIGIN_REFUSED', 'Host')
  const origin = req.headers.origin
  if (origin !== undefined) {
    if (!hosts.has(origin.replace(/^http:\/\//, '').toLowerCase()) || !origin.startsWith('http://'))
      throw new ZhError('ZH_CONSOLE_ORIGIN_REFUSED', 'Origin')
  } else if (isStateChanging(req.method)) {
    throw new ZhError('ZH_CONSOLE_ORIGIN_REFUSED', 'Origin missing')
  }
  const site = req.headers['sec-fetch-site']
  if (site === 'cross-site' || site === 'same-site')
    throw new ZhError('ZH_CONSOLE_ORIGIN_REFUSED', 'Sec-Fetch-Site')
}

/** Headers every console answer carries: no framing, no sniffing, no referrer, own scripts only. */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
}
