import { describe, expect, it } from 'vitest'
import { codeOfSync } from '../errors.test-util.js'
import {
  decodeRouterMessage,
  decodeRouterMessageIfKnown,
  encodeOverlay,
  MAX_DRAINING_IDS,
} from './overlay.js'

describe('overlay router messages', () => {
  it('round-trips a draining notice', () => {
    const m = { t: 'draining', circuits: [1, 7, 2 ** 31] } as const
    expect(decodeRouterMessage(encodeOverlay({ ...m, circuits: [...m.circuits] }))).toEqual(m)
  })

  it.each([
    ['no list', { t: 'draining' }],
    ['a list too long', { t: 'draining', circuits: Array(MAX_DRAINING_IDS + 1).fill(1) }],
    ['a negative id', { t: 'draining', circuits: [-1] }],
    ['a text id', { t: 'draining', circuits: ['1'] }],
    ['an unknown type', { t: 'reboot' }],
  ])('refuses %s with ZH_OVERLAY_MESSAGE_INVALID', (_what, value) => {
    const bytes = new TextEncoder().encode(JSON.stringify(value))
    expect(codeOfSync(() => decodeRouterMessage(bytes))).toBe('ZH_OVERLAY_MESSAGE_INVALID')
  })

  it('skips a well-formed message of a type it does not know, for newer routers', () => {
    const known = encodeOverlay({ t: 'bound', id: 3 })
    expect(decodeRouterMessageIfKnown(known)).toEqual({ t: 'bound', id: 3 })
    const newer = new TextEncoder().encode(JSON.stringify({ t: 'maintenance', at: 1 }))
    expect(decodeRouterMessageIfKnown(newer)).toBeUndefined()
    // A known type must still be well formed, and a message must still be a message.
    const broken = new TextEncoder().encode(JSON.stringify({ t: 'draining' }))
    expect(codeOfSync(() => decodeRouterMessageIfKnown(broken))).toBe('ZH_OVERLAY_MESSAGE_INVALID')
    const junk = new TextEncoder().encode('[1,2]')
    expect(codeOfSync(() => decodeRouterMessageIfKnown(junk))).toBe('ZH_OVERLAY_MESSAGE_INVALID')
    const typeless = new TextEncoder().encode('{"id":1}')
    expect(codeOfSync(() => decodeRouterMessageIfKnown(typeless))).toBe(
      'ZH_OVERLAY_MESSAGE_INVALID',
    )
  })
})
