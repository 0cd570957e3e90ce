import { describe, expect, it } from 'vitest'
import { codeOfSync } from '../errors.test-util.js'
import { decodeRouterMessage, encodeOverlay, MAX_DRAINING_IDS } from './overlay.js'

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
})
