import { webcrypto } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { x509 } from './x509.js'

describe('x509', () => {
  it('uses Node WebCrypto as its provider', () => {
    expect(x509.cryptoProvider.get()).toBe(webcrypto)
  })
})
