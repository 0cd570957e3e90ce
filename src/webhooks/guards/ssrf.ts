import { lookup as dnsLookup } from 'node:dns/promises'
import { isIP, type LookupFunction } from 'node:net'
import { buildConnector } from 'undici'
import { ZhError } from '../../errors.js'
import { isBlockedAddress, normalizeAddress } from './addresses.js'
import { cidrSet } from './cidr.js'

/** An address a name resolved to. */
export interface ResolvedAddress {
  readonly address: string
  readonly family: 4 | 6
}

/** Resolves a host name to its addresses (the default is the system resolver, all families). */
export type Resolver = (hostname: string) => Promise<readonly { address: string; family: number }[]>

/** Options of {@link createSsrfGuard}. */
export interface SsrfGuardOptions {
  /** CIDR ranges allowed although they are in a blocked range (`127.0.0.1/32` in tests). */
  readonly allow?: readonly string[]
  /** Refuse plain `http://` endpoints; default true. */
  readonly httpsOnly?: boolean
  /** The resolver to check and pin; injectable for tests. */
  readonly resolve?: Resolver
}

/** Checks where a request would really go, and connects only there. */
export interface SsrfGuard {
  /** Throws ZH_SENDER_ADDRESS_BLOCKED unless the address is public or allowed. */
  checkAddress(address: string): void
  /** Resolves a host name (or takes an IP literal) and checks every address it has. */
  resolve(hostname: string): Promise<ResolvedAddress>
  /** A `lookup` for `net.connect` / `http.request` that only yields checked addresses. */
  readonly lookup: LookupFunction
  /** An undici connector that resolves, checks, and connects to the checked address. */
  connector(options?: buildConnector.BuildOptions): buildConnector.connector
}

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true })

/**
 * An SSRF guard for sending webhooks to URLs that users configure. The check is on the
 * *resolved* addresses (every one a name has must pass), and the connection goes to the very
 * address checked, so a second DNS answer (rebinding) cannot redirect it. Refused: private,
 * loopback, link-local, CGNAT, cloud metadata, unique-local, multicast and reserved ranges,
 * also in v4-mapped, NAT64 and 6to4 form; `allow` overrides for named ranges.
 *
 * @example
 * ```ts
 * const guard = createSsrfGuard({ allow: ['10.20.0.0/16'] })
 * const transport = createHttpTransport({ guard })
 * await guard.resolve('metadata.google.internal') // rejects: ZH_SENDER_ADDRESS_BLOCKED
 * ```
 */
export function createSsrfGuard(options: SsrfGuardOptions = {}): SsrfGuard {
  const allowed = cidrSet(options.allow ?? [], 'ZH_SENDER_OPTIONS_INVALID')
  const httpsOnly = options.httpsOnly ?? true
  const resolver = options.resolve ?? systemResolver

  const checkAddress = (address: string): void => {
    if (isBlockedAddress(address) && !allowed.has(address)) {
      throw new ZhError('ZH_SENDER_ADDRESS_BLOCKED', normalizeAddress(address))
    }
  }

  const resolve = async (hostname: string): Promise<ResolvedAddress> => {
    const name = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname
    const literal = isIP(name)
    if (literal !== 0) {
      checkAddress(name)
      return { address: name, family: literal as 4 | 6 }
    }
    let found: readonly { address: string; family: number }[]
    try {
      found = await resolver(name)
    } catch (cause) {
      throw new ZhError('ZH_SENDER_CONNECT_FAILED', `cannot resolve ${name}`, { cause })
    }
    if (found.length === 0) throw new ZhError('ZH_SENDER_CONNECT_FAILED', `${name} has no address`)
    // One bad address taints the name: a public one beside it does not make it safe to follow.
    for (const entry of found) checkAddress(entry.address)
    const first = found[0]!
    return { address: first.address, family: isIP(first.address) as 4 | 6 }
  }

  const lookup: LookupFunction = (hostname, opts, callback) => {
    resolve(hostname).then(
      ({ address, family }) =>
        opts.all ? callback(null, [{ address, family }]) : callback(null, address, family),
      (err: Error) => callback(err, '', 0),
    )
  }

  return {
    checkAddress,
    resolve,
    lookup,
    connector(buildOptions = {}) {
      const connect = buildConnector(buildOptions)
      return (opts, callback) => {
        if (httpsOnly && opts.protocol !== 'https:') {
          callback(new ZhError('ZH_SENDER_HTTPS_REQUIRED', opts.protocol), null)
          return
        }
        const servername =
          opts.servername || (isIP(opts.hostname) === 0 ? opts.hostname : undefined)
        resolve(opts.hostname).then(
          // Pinned: connect to the address just checked; TLS still verifies the name.
          ({ address }) => connect({ ...opts, hostname: address, servername }, callback),
          (err: Error) => callback(err, null),
        )
      }
    },
  }
}
