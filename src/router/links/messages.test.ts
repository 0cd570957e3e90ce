import { describe, expect, it } from 'vitest'
import { codeOf } from '../../errors.test-util.js'
import {
  decodeForwardMeta,
  decodeLinkMessage,
  encodeLink,
  looksForwarded,
  type ForwardMeta,
} from './messages.js'

const good: ForwardMeta = {
  t: 'forward',
  service: 'svc',
  grant: 'g.g.g',
  dialer: 'id',
  fingerprint: 'ab',
  ingress: 'r1',
  hops: 1,
}
const bytes = (v: unknown) => new TextEncoder().encode(JSON.stringify(v))

describe('link messages', () => {
  it('round-trips forward metadata and recognises it', () => {
    expect(decodeForwardMeta(encodeLink(good))).toEqual(good)
    expect(looksForwarded(encodeLink(good))).toBe(true)
    expect(looksForwarded(bytes({ service: 'svc', grant: 'g' }))).toBe(false)
    expect(looksForwarded(new Uint8Array([0xff]))).toBe(false)
  })

  it('refuses malformed forward metadata with ZH_ROUTER_FORWARD_INVALID', async () => {
    const bad = [
      { ...good, t: 'dial' },
      { ...good, hops: 0 },
      { ...good, hops: 1.5 },
      { ...good, hops: '1' },
      { ...good, grant: '' },
      { ...good, dialer: 'x'.repeat(8193) },
      { ...good, ingress: 7 },
      [good],
    ]
    for (const b of bad)
      expect(await codeOf(Promise.resolve().then(() => decodeForwardMeta(bytes(b))))).toBe(
        'ZH_ROUTER_FORWARD_INVALID',
      )
  })

  it('decodes RTT probes and redial requests, and ignores anything else', () => {
    expect(decodeLinkMessage(encodeLink({ t: 'ping', n: 3 }))).toEqual({ t: 'ping', n: 3 })
    expect(decodeLinkMessage(bytes({ t: 'redial', extra: 1 }))).toEqual({ t: 'redial' })
    expect(decodeLinkMessage(bytes({ t: 'pong', n: 1.5 }))).toBeUndefined()
    expect(decodeLinkMessage(bytes({ t: 'bind', id: 1 }))).toBeUndefined()
  })
})
