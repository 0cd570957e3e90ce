import { ZhError } from '../errors.js'

/** The kinds of principal that hold a certificate of a zerohook network. */
export type PrincipalKind = 'identity' | 'router' | 'controller'

const KINDS: ReadonlySet<string> = new Set<PrincipalKind>(['identity', 'router', 'controller'])

/**
 * Network names and ids are 1-64 URI "unreserved" characters, so the URN needs no escaping and
 * its `:` separators are unambiguous (controller ids are base64url, names are letters, digits,
 * `.`, `_` and `-`).
 */
const PART = /^[A-Za-z0-9._~-]{1,64}$/

/** The prefix of every principal URI. */
export const URI_PREFIX = 'urn:zerohook:'

/** True when `part` may be used as a network name or principal id in a principal URI. */
export function isUriPart(part: string): boolean {
  return PART.test(part)
}

/**
 * The URI SAN naming a principal of a network (DESIGN §2): `urn:zerohook:<network>:<kind>:<id>`.
 * Throws ZH_NAME_INVALID when the network or id holds characters outside `A-Za-z0-9._~-` or is
 * longer than 64 characters.
 *
 * @example
 * ```ts
 * principalUri('acme', 'router', 'r1') // 'urn:zerohook:acme:router:r1'
 * ```
 */
export function principalUri(network: string, kind: PrincipalKind, id: string): string {
  if (!isUriPart(network))
    throw new ZhError('ZH_NAME_INVALID', `network ${JSON.stringify(network)}`)
  if (!KINDS.has(kind))
    throw new ZhError('ZH_NAME_INVALID', `principal kind ${JSON.stringify(kind)}`)
  if (!isUriPart(id)) throw new ZhError('ZH_NAME_INVALID', `principal id ${JSON.stringify(id)}`)
  return `${URI_PREFIX}${network}:${kind}:${id}`
}

/**
 * Parses a principal URI made by {@link principalUri}; `undefined` for anything else (another
 * scheme, a wrong case, an unknown kind, extra or missing parts, characters outside the set).
 *
 * @example
 * ```ts
 * parsePrincipalUri('urn:zerohook:acme:identity:x1') // { network: 'acme', kind: 'identity', id: 'x1' }
 * ```
 */
export function parsePrincipalUri(
  uri: string,
): { network: string; kind: PrincipalKind; id: string } | undefined {
  if (typeof uri !== 'string' || !uri.startsWith(URI_PREFIX)) return undefined
  const parts = uri.slice(URI_PREFIX.length).split(':')
  if (parts.length !== 3) return undefined
  const [network, kind, id] = parts as [string, string, string]
  if (!isUriPart(network) || !KINDS.has(kind) || !isUriPart(id)) return undefined
  return { network, kind: kind as PrincipalKind, id }
}
