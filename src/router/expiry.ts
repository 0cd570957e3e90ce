import type { LinkManager } from './links/links.js'
import type { Registry } from './registry.js'

/**
 * Closes every endpoint session and router link whose peer certificate has expired, with
 * ZH_CERT_EXPIRED. TLS checks a certificate in the handshake only: without this sweep a
 * connection made just before its certificate expired could live on for ever. An endpoint
 * renews long before (and moves to new connections); one that did not must enroll again.
 *
 * @example
 * setInterval(() => closeExpired(registry, links), 1000)
 */
export function closeExpired(registry: Registry, links: LinkManager, now = Date.now()): void {
  for (const session of registry.sessions) {
    if (session.notAfter <= now && !session.channel.closed)
      session.channel.close('ZH_CERT_EXPIRED', 'the endpoint certificate expired')
  }
  links.closeExpired(now)
}
