import { describe, expect, it } from 'vitest'
import { checkCommonName, commonNameSubject, soleCommonName } from './subject.js'
import { x509 } from './x509.js'

describe('checkCommonName', () => {
  it('accepts 1-64 characters, including DN metacharacters', () => {
    expect(checkCommonName('x')).toBe('x')
    expect(checkCommonName('a,O=evil+CN=b')).toBe('a,O=evil+CN=b')
    expect(checkCommonName('é'.repeat(64))).toBe('é'.repeat(64))
  })

  it.each(['', 'x'.repeat(65), 'a\nb', 'a\u0000', 'a\u007f'])('refuses %j', (cn) => {
    expect(() => checkCommonName(cn)).toThrow(
      expect.objectContaining({ code: 'ZH_CSR_SUBJECT_INVALID' }),
    )
  })
})

describe('soleCommonName', () => {
  it('reads back a structured CN holding "," and "=" as one attribute', () => {
    const name = new x509.Name(commonNameSubject('a,O=evil'))
    expect(soleCommonName(name)).toBe('a,O=evil')
  })

  it.each([
    ['an extra attribute', 'CN=a, O=b'],
    ['two CNs', 'CN=a, CN=b'],
    ['a multi-valued RDN', 'CN=a+O=b'],
    ['no CN', 'O=a'],
    ['an empty subject', ''],
  ])('is undefined for %s', (_what, dn) => {
    expect(soleCommonName(new x509.Name(dn))).toBeUndefined()
  })
})
