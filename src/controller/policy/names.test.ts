import { describe, expect, it } from 'vitest'
import { thrownCode } from './fixtures.test-util.js'
import { MAX_ATTRIBUTES, checkAttributes, checkName, isName } from './names.js'

const longest = 'a'.repeat(64)

describe('checkName', () => {
  it.each(['a', 'A', '0', 'jenkins-webhook', 'a.b_c-d', 'ZeroHook.v2', longest])(
    'accepts %j unchanged',
    (name) => {
      expect(checkName(name)).toBe(name)
    },
  )

  it.each([
    '',
    'a'.repeat(65),
    '-a',
    '.a',
    '_a',
    'a b',
    ' a',
    'a\n',
    'a/b',
    'a|b',
    'a:b',
    '#a',
    '@a',
    'é',
    'a\u0000',
  ])('refuses %j with ZH_NAME_INVALID', (name) => {
    expect(thrownCode(() => checkName(name))).toBe('ZH_NAME_INVALID')
  })

  it('refuses non-strings from untyped input', () => {
    for (const bad of [undefined, null, 42, ['a'], { a: 1 }]) {
      expect(thrownCode(() => checkName(bad as unknown as string))).toBe('ZH_NAME_INVALID')
    }
    expect(isName(42)).toBe(false)
  })

  it('keeps a huge bad name out of the error detail', () => {
    try {
      checkName('-'.repeat(100_000))
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(400)
    }
    expect.assertions(1)
  })
})

describe('checkAttributes', () => {
  it('returns the attributes deduplicated and sorted', () => {
    expect(checkAttributes(['ci', 'build', 'ci', 'Build'])).toEqual(['Build', 'build', 'ci'])
  })

  it('accepts no attributes', () => {
    expect(checkAttributes([])).toEqual([])
  })

  it.each([[['ok', '']], [['has space']], [['-x']], [['a'.repeat(65)]], [['#ci']], [['@x']]])(
    'refuses %j with ZH_ATTRIBUTE_INVALID',
    (attrs) => {
      expect(thrownCode(() => checkAttributes(attrs))).toBe('ZH_ATTRIBUTE_INVALID')
    },
  )

  it('reserves "all", which #all could never select on its own', () => {
    expect(thrownCode(() => checkAttributes(['ci', 'all']))).toBe('ZH_ATTRIBUTE_INVALID')
    expect(checkAttributes(['All', 'all-hosts'])).toEqual(['All', 'all-hosts'])
  })

  it(`accepts ${MAX_ATTRIBUTES} distinct attributes, not one more; duplicates do not count`, () => {
    const many = Array.from({ length: MAX_ATTRIBUTES }, (_, i) => `a${i}`)
    expect(checkAttributes(many)).toHaveLength(MAX_ATTRIBUTES)
    expect(checkAttributes([...many, ...many])).toHaveLength(MAX_ATTRIBUTES)
    expect(thrownCode(() => checkAttributes([...many, 'one-more']))).toBe('ZH_ATTRIBUTE_INVALID')
  })

  it('refuses non-lists and non-string items from untyped input', () => {
    expect(thrownCode(() => checkAttributes('ci' as unknown as string[]))).toBe(
      'ZH_ATTRIBUTE_INVALID',
    )
    expect(thrownCode(() => checkAttributes([1] as unknown as string[]))).toBe(
      'ZH_ATTRIBUTE_INVALID',
    )
  })
})
