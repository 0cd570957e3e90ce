import { BlockList, isIP } from 'node:net'
import { ZhError, type ZhCode } from '../../errors.js'
import { familyOf, normalizeAddress } from './addresses.js'

/** A set of CIDR ranges (`10.0.0.0/8`, `2001:db8::/32`, or a single address). */
export interface CidrSet {
  /** True when the address, v4-mapped and NAT64 forms normalised to IPv4, is in a range. */
  has(address: string): boolean
}

/**
 * Parses CIDR ranges; a malformed one throws `code` naming it, so a typo never widens or
 * silently empties a list.
 */
export function cidrSet(ranges: readonly string[], code: ZhCode): CidrSet {
  const list = new BlockList()
  for (const range of ranges) {
    const parsed = parseCidr(String(range).trim())
    if (!parsed) throw new ZhError(code, `not a CIDR range: ${JSON.stringify(range)}`)
    list.addSubnet(parsed.network, parsed.prefix, familyOf(parsed.network))
  }
  return {
    has(address) {
      const normalized = normalizeAddress(address)
      return isIP(normalized) !== 0 && list.check(normalized, familyOf(normalized))
    },
  }
}

function parseCidr(text: string): { network: string; prefix: number } | undefined {
  const [net = '', bits, extra] = text.split('/')
  if (extra !== undefined || (bits !== undefined && !/^[0-9]{1,3}$/.test(bits))) return undefined
  // A v4-mapped rule (`::ffff:10.0.0.0/104`) is the IPv4 rule it stands for.
  const mapped = /^::ffff:([0-9.]+)$/i.exec(net)?.[1]
  const network = mapped ?? net
  const family = isIP(network)
  if (family === 0) return undefined
  const max = family === 4 ? 32 : 128
  const prefix = bits === undefined ? max : Number(bits) - (mapped ? 96 : 0)
  return prefix >= 0 && prefix <= max ? { network, prefix } : undefined
}
