import { describe, expect, it } from 'vitest'
import { parsePrincipalUri, principalUri, type PrincipalKind } from './uri.js'

describe('principalUri', () => {
  it('builds the URN of DESIGN §2', () => {
    expect(principalUri('acme', 'identity', 'AbC-_9.x')).toBe('urn:zerohook:acme:identity:AbC-_9.x')
    expect(principalUri('acme', 'router', 'r1')).toBe('urn:zerohook:acme:router:r1')
    expect(principalUri('acme', 'controller', 'controller')).toBe(
      'urn:zerohook:acme:controller:controller',
    )
  })

  it.each([
    ['a:b', 'identity', 'x'],
    ['acme', 'identity', 'x:y'],
    ['', 'identity', 'x'],
    ['acme', 'identity', ''],
    ['acme', 'identity', 'x'.repeat(65)],
    ['acme', 'identity', 'a/b'],
    ['acme', 'identity', 'é'],
    ['acme', 'admin', 'x'],
  ])('refuses %j %j %j with ZH_NAME_INVALID', (network, kind, id) => {
    const call = () => principalUri(network, kind as PrincipalKind, id)
    expect(call).toThrow(expect.objectContaining({ code: 'ZH_NAME_INVALID' }))
  })
})

describe('parsePrincipalUri', () => {
  it('round-trips every kind', () => {
    for (const kind of ['identity', 'router', 'controller'] as const) {
      const id = 'x'.repeat(64)
      expect(parsePrincipalUri(principalUri('n.1', kind, id))).toEqual({ network: 'n.1', kind, id })
    }
  })

  it.each([
    'urn:zerohook:acme:identity',
    'urn:zerohook:acme:identity:x:y',
    'urn:zerohook:acme:admin:x',
    'URN:zerohook:acme:identity:x',
    'urn:ZEROHOOK:acme:identity:x',
    'urn:zerohook::identity:x',
    'urn:zerohook:acme:identity:',
    'urn:zerohook:acme:identity:x%3Ay',
    'urn:zerohook:acme:identity:x ',
    'urn:zerohook:acme:identity:x\n',
    'spiffe://acme/identity/x',
    '',
  ])('rejects %j', (uri) => {
    expect(parsePrincipalUri(uri)).toBeUndefined()
  })
})
