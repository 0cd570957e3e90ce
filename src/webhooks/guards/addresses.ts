import { BlockList, isIP, isIPv4 } from 'node:net'

/** Where an address is refused by default: never a place a public webhook should go. */
const BLOCKED_V4: readonly [string, number][] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata 169.254.169.254
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast 255.255.255.255
]

const BLOCKED_V6: readonly [string, number][] = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard
  ['2001::', 32], // Teredo: tunnels to addresses this guard cannot see
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique-local, AWS metadata fd00:ec2::254
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
]

const blocked = new BlockList()
for (const [net, prefix] of BLOCKED_V4) blocked.addSubnet(net, prefix, 'ipv4')
for (const [net, prefix] of BLOCKED_V6) blocked.addSubnet(net, prefix, 'ipv6')

/**
 * The IPv4 address an IPv6 address stands for, when it embeds one: v4-mapped `::ffff:a.b.c.d`,
 * v4-compatible `::a.b.c.d`, NAT64 `64:ff9b::a.b.c.d` and 6to4 `2002:AABB:CCDD::`. A packet to
 * those reaches the IPv4 address, so that is the one to check.
 */
export function embeddedIPv4(address: string): string | undefined {
  const bytes = ipv6Bytes(address)
  if (!bytes) return undefined
  const zeros = (from: number, to: number): boolean =>
    bytes.subarray(from, to).every((b) => b === 0)
  const v4 = (at: number): string => [...bytes.subarray(at, at + 4)].join('.')
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return v4(12)
  if (zeros(0, 12) && !zeros(12, 15)) return v4(12)
  if (bytes[0] === 0 && bytes[1] === 0x64 && bytes[2] === 0xff && bytes[3] === 0x9b && zeros(4, 12))
    return v4(12)
  if (bytes[0] === 0x20 && bytes[1] === 0x02) return v4(2)
  return undefined
}

/** An IP address in the form to check and print: IPv4 when it embeds one, else as given. */
export function normalizeAddress(address: string): string {
  const plain = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address
  return isIPv4(plain) ? plain : (embeddedIPv4(plain) ?? plain.toLowerCase())
}

/** The BlockList family name of an address. */
export const familyOf = (address: string): 'ipv4' | 'ipv6' => (isIPv4(address) ? 'ipv4' : 'ipv6')

/**
 * True when `address` is not a public unicast address: private, loopback, link-local, CGNAT,
 * cloud metadata, unique-local, multicast, reserved, or an IPv6 form embedding such an IPv4.
 * Anything that is not an IP address at all counts as blocked.
 *
 * @example
 * ```ts
 * isBlockedAddress('169.254.169.254') // true
 * isBlockedAddress('::ffff:10.0.0.1') // true
 * isBlockedAddress('93.184.215.14') // false
 * ```
 */
export function isBlockedAddress(address: string): boolean {
  const normalized = normalizeAddress(address)
  if (isIP(normalized) === 0) return true
  return blocked.check(normalized, familyOf(normalized))
}

/** The 16 bytes of an IPv6 address (with an optional dotted IPv4 tail), or undefined. */
export function ipv6Bytes(address: string): Uint8Array | undefined {
  const text = address.split('%')[0]!
  if (isIP(text) !== 6) return undefined
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined]
  const words = (part: string | undefined): number[] => {
    if (!part) return []
    return part.split(':').flatMap((group) => {
      if (!group.includes('.')) return [parseInt(group, 16)]
      const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number]
      return [(a << 8) | b, (c << 8) | d]
    })
  }
  const left = words(head)
  const right = words(tail)
  const all = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right]
  const bytes = new Uint8Array(16)
  all.forEach((word, i) => {
    bytes[2 * i] = word >> 8
    bytes[2 * i + 1] = word & 0xff
  })
  return bytes
}
