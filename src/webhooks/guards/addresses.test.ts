import { describe, expect, it } from 'vitest'
import { embeddedIPv4, isBlockedAddress, normalizeAddress } from './addresses.js'
import { cidrSet } from './cidr.js'

describe('blocked addresses', () => {
  it('blocks every special IPv4 range, at both ends', () => {
    const blocked = [
      '0.0.0.0',
      '0.255.255.255', // this network
      '10.0.0.0',
      '10.255.255.255', // private
      '100.64.0.0',
      '100.127.255.255', // CGNAT
      '127.0.0.1',
      '127.255.255.254', // loopback
      '169.254.0.1',
      '169.254.169.254', // link-local, metadata
      '172.16.0.0',
      '172.31.255.255', // private
      '192.168.0.1',
      '192.168.255.255', // private
      '192.0.0.8',
      '192.0.2.1',
      '198.18.0.1',
      '198.19.255.255',
      '198.51.100.7',
      '203.0.113.9',
      '224.0.0.1',
      '239.255.255.250', // multicast
      '240.0.0.1',
      '255.255.255.255', // reserved, broadcast
    ]
    for (const address of blocked) expect(isBlockedAddress(address), address).toBe(true)
  })

  it('lets public IPv4 through, including the neighbours of blocked ranges', () => {
    for (const address of [
      '1.1.1.1',
      '8.8.8.8',
      '100.63.255.255',
      '100.128.0.0',
      '172.15.255.255',
      '172.32.0.0',
      '169.253.255.255',
      '223.255.255.255',
    ]) {
      expect(isBlockedAddress(address), address).toBe(false)
    }
  })

  it('blocks special IPv6 ranges', () => {
    const blocked = [
      '::',
      '::1',
      'fc00::1',
      'fd00:ec2::254',
      'fdff:ffff::1',
      'fe80::1',
      'febf::1',
      'fec0::1',
      'ff02::1',
      '2001:db8::1',
      '100::1',
      '2001::1',
      '64:ff9b:1::a00:1',
    ]
    for (const address of blocked) expect(isBlockedAddress(address), address).toBe(true)
    expect(isBlockedAddress('2606:4700:4700::1111')).toBe(false)
  })

  it('checks the IPv4 address inside v4-mapped, v4-compatible, NAT64 and 6to4 forms', () => {
    const blocked = [
      '::ffff:127.0.0.1',
      '::ffff:7f00:1',
      '::FFFF:169.254.169.254',
      '::ffff:a9fe:a9fe',
      '::10.0.0.1',
      '64:ff9b::10.0.0.1',
      '64:ff9b::a9fe:a9fe',
      '2002:c0a8:0101::1',
      '[::ffff:192.168.1.1]',
    ]
    for (const address of blocked) expect(isBlockedAddress(address), address).toBe(true)
    for (const address of ['::ffff:8.8.8.8', '64:ff9b::808:808', '2002:0808:0808::1']) {
      expect(isBlockedAddress(address), address).toBe(false)
    }
    expect(embeddedIPv4('::ffff:7f00:1')).toBe('127.0.0.1')
    expect(normalizeAddress('64:ff9b::1.2.3.4')).toBe('1.2.3.4')
  })

  it('treats anything that is not an IP address as blocked', () => {
    for (const text of ['', 'localhost', '127.1', '0x7f.0.0.1', '1.2.3.4.5', ':::']) {
      expect(isBlockedAddress(text), text).toBe(true)
    }
  })
})

describe('CIDR sets', () => {
  it('matches IPv4 and IPv6 ranges, and v4-mapped peers against IPv4 rules', () => {
    const set = cidrSet(
      ['10.0.0.0/8', '192.168.1.7', '2001:db8::/32', '::ffff:172.16.0.0/112'],
      'ZH_WEBHOOK_OPTIONS_INVALID',
    )
    for (const yes of ['10.1.2.3', '::ffff:10.1.2.3', '192.168.1.7', '2001:db8::5', '172.16.9.9']) {
      expect(set.has(yes), yes).toBe(true)
    }
    for (const no of ['11.0.0.1', '192.168.1.8', '2001:db9::1', '172.17.0.1', 'nope']) {
      expect(set.has(no), no).toBe(false)
    }
  })

  it('refuses malformed ranges instead of ignoring them', () => {
    for (const bad of [
      '10.0.0.0/33',
      '10.0.0/8',
      '::1/129',
      '1.2.3.4/',
      '1.2.3.4/8/1',
      'host.example/24',
      '::ffff:1.2.3.4/95',
    ]) {
      expect(() => cidrSet([bad], 'ZH_SENDER_OPTIONS_INVALID'), bad).toThrow(
        expect.objectContaining({ code: 'ZH_SENDER_OPTIONS_INVALID' }),
      )
    }
  })
})
