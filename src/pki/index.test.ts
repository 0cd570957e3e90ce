import { describe, expect, it } from 'vitest'
import * as pki from './index.js'

describe('pki index', () => {
  it('exports the public API and nothing internal', () => {
    expect(Object.keys(pki).sort()).toEqual([
      'checkServerPrincipal',
      'createCa',
      'createCsr',
      'createKeyAndCsr',
      'fingerprint',
      'generateKeyPair',
      'inspectCertificate',
      'issueCertificate',
      'issueKeyAndCertificate',
      'parseCsr',
      'parsePrincipalUri',
      'principalUri',
      'splitPemBundle',
      'verifyCertificate',
      'writePublicFile',
      'writeSecretFile',
    ])
  })
})
