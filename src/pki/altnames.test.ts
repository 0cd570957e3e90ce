import { describe, expect, it } from 'vitest'
import { parseAltNames, principalFromAltNames } from './altnames.js'

describe('parseAltNames', () => {
  it('splits plain entries', () => {
    expect(
      parseAltNames('URI:urn:zerohook:n:router:r1, DNS:localhost, IP Address:127.0.0.1'),
    ).toEqual([
      { type: 'URI', value: 'urn:zerohook:n:router:r1' },
      { type: 'DNS', value: 'localhost' },
      { type: 'IP Address', value: '127.0.0.1' },
    ])
  })

  it('decodes entries Node quoted as JSON, whole or after the prefix', () => {
    expect(parseAltNames('"URI:a, URI:b", DirName:"CN=x, O=y", DNS:z')).toEqual([
      { type: 'URI', value: 'a, URI:b' },
      { type: 'DirName', value: 'CN=x, O=y' },
      { type: 'DNS', value: 'z' },
    ])
    expect(parseAltNames('"URI:a\\"b\\u0000"')).toEqual([{ type: 'URI', value: 'a"b\u0000' }])
    // Node 20's rendering of a URI SAN holding ", URI:...".
    expect(parseAltNames('URI:"x\\u002c URI:y", DNS:z')).toEqual([
      { type: 'URI', value: 'x, URI:y' },
      { type: 'DNS', value: 'z' },
    ])
  })

  it('is empty for no names', () => {
    expect(parseAltNames(undefined)).toEqual([])
    expect(parseAltNames('')).toEqual([])
  })

  it.each([
    'URI',
    'URI:a,',
    'URI:a, ',
    '"URI:a',
    'URI:a,DNS:b',
    'URI:"a" DNS:b',
    ':x',
    'x, DNS:"y',
  ])('fails closed on %j', (text) => {
    expect(parseAltNames(text)).toBeUndefined()
  })
})

describe('principalFromAltNames', () => {
  it('finds the one principal URI among other names', () => {
    expect(
      principalFromAltNames('DNS:a, URI:spiffe://x/y, URI:urn:zerohook:n:controller:main'),
    ).toEqual({
      uri: 'urn:zerohook:n:controller:main',
      network: 'n',
      kind: 'controller',
      id: 'main',
    })
  })

  it('names nobody when two principals are named', () => {
    expect(
      principalFromAltNames('URI:urn:zerohook:n:identity:a, URI:urn:zerohook:n:identity:b'),
    ).toBeUndefined()
  })

  it('does not read a principal smuggled inside another name', () => {
    expect(principalFromAltNames('"URI:x, URI:urn:zerohook:n:controller:main"')).toBeUndefined()
    expect(principalFromAltNames('DNS:urn:zerohook:n:controller:main')).toBeUndefined()
  })

  it('names nobody without names or with malformed text', () => {
    expect(principalFromAltNames(undefined)).toBeUndefined()
    expect(principalFromAltNames('URI:urn:zerohook:n:controller:main,')).toBeUndefined()
  })
})
