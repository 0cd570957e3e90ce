import { describe, expect, it } from 'vitest'
import { entity, thrownCode } from './fixtures.test-util.js'
import {
  MAX_ROLES,
  checkRoles,
  parseRole,
  roleMatches,
  rolesMatch,
  tryParseRole,
  type Role,
} from './roles.js'

describe('parseRole', () => {
  it.each<[string, Role]>([
    ['#all', { kind: 'all' }],
    ['#ci', { kind: 'attr', attr: 'ci' }],
    ['#ALL', { kind: 'attr', attr: 'ALL' }],
    ['#all-hosts', { kind: 'attr', attr: 'all-hosts' }],
    ['@jenkins', { kind: 'name', name: 'jenkins' }],
    ['@all', { kind: 'name', name: 'all' }],
    ['@-Yx_9aB3kQ0', { kind: 'name', name: '-Yx_9aB3kQ0' }], // a base64url id may start with '-'
    [`#${'a'.repeat(64)}`, { kind: 'attr', attr: 'a'.repeat(64) }],
  ])('parses %j', (text, role) => {
    expect(parseRole(text)).toEqual(role)
  })

  it.each([
    '',
    '#',
    '@',
    'plain',
    'all',
    '#a b',
    '##x',
    '@@x',
    '#@x',
    '@#x',
    '#-x',
    ' #x',
    '#x ',
    '#x\n',
    '#a|b',
    '@a/b',
    '#é',
    `#${'a'.repeat(65)}`,
    `@${'a'.repeat(65)}`,
  ])('refuses %j with ZH_ROLE_INVALID', (text) => {
    expect(thrownCode(() => parseRole(text))).toBe('ZH_ROLE_INVALID')
    expect(tryParseRole(text)).toBeUndefined()
  })

  it('refuses non-strings', () => {
    expect(thrownCode(() => parseRole(7 as unknown as string))).toBe('ZH_ROLE_INVALID')
  })
})

describe('checkRoles', () => {
  it('returns the roles deduplicated and sorted', () => {
    expect(checkRoles(['@jenkins', '#ci', '#ci', '#all'])).toEqual(['#all', '#ci', '@jenkins'])
  })

  it('refuses an empty list: a policy side must select something', () => {
    expect(thrownCode(() => checkRoles([]))).toBe('ZH_ROLE_INVALID')
  })

  it('refuses the list when one role is bad', () => {
    expect(thrownCode(() => checkRoles(['#ci', 'ci']))).toBe('ZH_ROLE_INVALID')
  })

  it(`accepts ${MAX_ROLES} distinct roles, not one more`, () => {
    const many = Array.from({ length: MAX_ROLES }, (_, i) => `#a${i}`)
    expect(checkRoles([...many, ...many])).toHaveLength(MAX_ROLES)
    expect(thrownCode(() => checkRoles([...many, '@x']))).toBe('ZH_ROLE_INVALID')
  })

  it('refuses a non-list from untyped input', () => {
    expect(thrownCode(() => checkRoles('#ci' as unknown as string[]))).toBe('ZH_ROLE_INVALID')
    expect(thrownCode(() => checkRoles([null] as unknown as string[]))).toBe('ZH_ROLE_INVALID')
  })
})

describe('roleMatches', () => {
  const runner = entity('id-7', 'runner', ['ci', 'linux'])

  it('#all matches every entity, even one without attributes', () => {
    expect(roleMatches({ kind: 'all' }, runner)).toBe(true)
    expect(roleMatches({ kind: 'all' }, entity('x', 'bare'))).toBe(true)
  })

  it('#attr matches only entities carrying the attribute, case-sensitively', () => {
    expect(roleMatches(parseRole('#ci'), runner)).toBe(true)
    expect(roleMatches(parseRole('#deploy'), runner)).toBe(false)
    expect(roleMatches(parseRole('#CI'), runner)).toBe(false)
  })

  it('@name matches by name and by id, nothing else', () => {
    expect(roleMatches(parseRole('@runner'), runner)).toBe(true)
    expect(roleMatches(parseRole('@id-7'), runner)).toBe(true)
    expect(roleMatches(parseRole('@runner2'), runner)).toBe(false)
    expect(roleMatches(parseRole('@ci'), runner)).toBe(false) // an attribute is not a name
    expect(roleMatches(parseRole('#runner'), runner)).toBe(false) // a name is not an attribute
  })
})

describe('rolesMatch', () => {
  const onlyA = entity('1', 'only-a', ['a'])
  const both = entity('2', 'both', ['a', 'b'])
  const neither = entity('3', 'neither', ['c'])

  it('anyOf: an entity with one of two attributes matches', () => {
    expect(rolesMatch(['#a', '#b'], 'anyOf', onlyA)).toBe(true)
    expect(rolesMatch(['#a', '#b'], 'anyOf', both)).toBe(true)
    expect(rolesMatch(['#a', '#b'], 'anyOf', neither)).toBe(false)
  })

  it('allOf: an entity with only one of two attributes does not match', () => {
    expect(rolesMatch(['#a', '#b'], 'allOf', onlyA)).toBe(false)
    expect(rolesMatch(['#a', '#b'], 'allOf', both)).toBe(true)
  })

  it('#all adds nothing to allOf and selects everything in anyOf', () => {
    expect(rolesMatch(['#all', '#b'], 'allOf', onlyA)).toBe(false)
    expect(rolesMatch(['#all', '#b'], 'anyOf', neither)).toBe(true)
  })

  it('no roles match nothing, under either semantic', () => {
    expect(rolesMatch([], 'anyOf', both)).toBe(false)
    expect(rolesMatch([], 'allOf', both)).toBe(false)
  })

  it('takes parsed roles as well as role text', () => {
    const parsed = [parseRole('#a'), parseRole('#b')]
    expect(rolesMatch(parsed, 'allOf', both)).toBe(true)
    expect(rolesMatch(parsed, 'allOf', onlyA)).toBe(false)
  })

  it('throws ZH_ROLE_INVALID on bad role text', () => {
    expect(thrownCode(() => rolesMatch(['#a', 'b'], 'anyOf', both))).toBe('ZH_ROLE_INVALID')
  })

  it('an unknown semantic (corrupt data) matches nothing', () => {
    expect(rolesMatch(['#all'], 'oneOf' as 'anyOf', both)).toBe(false)
  })
})
