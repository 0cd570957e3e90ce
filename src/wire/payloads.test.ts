import { describe, expect, it } from 'vitest'
import { ZhError } from '../errors.js'
import { MAX_REASON_MESSAGE } from './frame.js'
import {
  decodeCredit,
  decodeReason,
  encodeCredit,
  encodeReason,
  reasonError,
  reasonOf,
} from './payloads.js'

describe('payloads', () => {
  it('round-trips a reason', () => {
    expect(decodeReason(encodeReason('ZH_GRANT_EXPIRED', 'grant für x1'))).toEqual({
      code: 'ZH_GRANT_EXPIRED',
      message: 'grant für x1',
    })
    expect(decodeReason(encodeReason('', '', true), true)).toEqual({ code: '', message: '' })
  })

  it('cuts a long message on a character boundary', () => {
    const long = 'é'.repeat(MAX_REASON_MESSAGE) // 2 bytes each
    const { message } = decodeReason(encodeReason('X', long))
    expect(Buffer.byteLength(message)).toBeLessThanOrEqual(MAX_REASON_MESSAGE)
    expect(message).toBe('é'.repeat(MAX_REASON_MESSAGE / 2))
  })

  it('refuses codes that cannot travel, locally and from the peer', () => {
    for (const code of ['', 'lower', '1ABC', 'A'.repeat(65), 'ZH-DASH']) {
      expect(() => encodeReason(code)).toThrow(
        expect.objectContaining({ code: 'ZH_WIRE_ARGUMENT_INVALID' }),
      )
    }
    const protocol: unknown = expect.objectContaining({ code: 'ZH_WIRE_PROTOCOL' })
    expect(() => decodeReason(Buffer.from([0, 0]))).toThrow(protocol) // empty code on a RESET
    expect(() => decodeReason(Buffer.from([0, 5, 65]))).toThrow(protocol) // code runs past the end
    expect(() => decodeReason(Buffer.from([0, 1, 97]))).toThrow(protocol) // lower case
    expect(() => decodeReason(Buffer.from([0, 1, 65, 0xff]))).toThrow(protocol) // not UTF-8
    expect(() =>
      decodeReason(
        Buffer.concat([Buffer.from([0, 1, 65]), Buffer.alloc(MAX_REASON_MESSAGE + 1, 97)]),
      ),
    ).toThrow(protocol)
  })

  it('maps a peer code to our error when we know it, else to the fallback', () => {
    expect(
      reasonError({ code: 'ZH_GRANT_EXPIRED', message: 'm' }, 'ZH_WIRE_CIRCUIT_RESET'),
    ).toMatchObject({
      code: 'ZH_GRANT_EXPIRED',
      detail: 'm',
    })
    expect(reasonError({ code: 'OTHER', message: 'm' }, 'ZH_WIRE_CIRCUIT_RESET')).toMatchObject({
      code: 'ZH_WIRE_CIRCUIT_RESET',
      detail: 'OTHER: m',
    })
  })

  it('sends only the code and a ZhError detail for a local error', () => {
    expect(reasonOf(new ZhError('ZH_GRANT_EXPIRED', 'x'), 'F')).toEqual({
      code: 'ZH_GRANT_EXPIRED',
      message: 'x',
    })
    expect(reasonOf(Object.assign(new Error('/secret/path'), { code: 'ENOENT' }), 'F')).toEqual({
      code: 'ENOENT',
      message: '',
    })
    expect(reasonOf(new Error('no code'), 'FALLBACK')).toEqual({ code: 'FALLBACK', message: '' })
  })

  it('encodes credit as u32 and refuses a zero grant', () => {
    expect(decodeCredit(encodeCredit(0xffffffff))).toBe(0xffffffff)
    expect(() => decodeCredit(encodeCredit(0))).toThrow(
      expect.objectContaining({ code: 'ZH_WIRE_PROTOCOL' }),
    )
  })
})
