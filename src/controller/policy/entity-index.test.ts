import { describe, expect, it } from 'vitest'
import { indexEntities, selectEntities } from './entity-index.js'
import { entity, prng } from './fixtures.test-util.js'
import { parseRole, rolesMatch, type Role } from './roles.js'
import type { Semantic } from './types.js'

const a = entity('id-a', 'alpha', ['x', 'y'])
const b = entity('id-b', 'beta', ['y', 'y']) // a repeated attribute is indexed once
const c = entity('gamma', 'gamma', []) // name equal to id is indexed once
const index = indexEntities([a, b, c])
const roles = (...texts: string[]): Role[] => texts.map(parseRole)
const ids = (list: readonly { id: string }[]): string[] => list.map((e) => e.id)

describe('indexEntities', () => {
  it('selects by attribute, by name, by id and all', () => {
    expect(ids(index.select(parseRole('#y')))).toEqual(['id-a', 'id-b'])
    expect(ids(index.select(parseRole('#z')))).toEqual([])
    expect(ids(index.select(parseRole('@beta')))).toEqual(['id-b'])
    expect(ids(index.select(parseRole('@id-b')))).toEqual(['id-b'])
    expect(ids(index.select(parseRole('@gamma')))).toEqual(['gamma'])
    expect(ids(index.select(parseRole('#all')))).toEqual(['id-a', 'id-b', 'gamma'])
  })
})

describe('selectEntities', () => {
  it('anyOf is the union, each entity once', () => {
    expect(ids(selectEntities(index, roles('#x', '#y', '@alpha'), 'anyOf'))).toEqual([
      'id-a',
      'id-b',
    ])
  })

  it('allOf is the intersection', () => {
    expect(ids(selectEntities(index, roles('#x', '#y'), 'allOf'))).toEqual(['id-a'])
    expect(ids(selectEntities(index, roles('#y', '@beta', '#all'), 'allOf'))).toEqual(['id-b'])
    expect(ids(selectEntities(index, roles('#x', '@beta'), 'allOf'))).toEqual([])
  })

  it('no roles select nothing', () => {
    expect(selectEntities(index, [], 'anyOf')).toEqual([])
    expect(selectEntities(index, [], 'allOf')).toEqual([])
  })

  it('agrees with rolesMatch on random entities and roles', () => {
    const random = prng(7)
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
    const attrs = ['p', 'q', 'r', 's']
    let nonEmpty = 0
    for (let round = 0; round < 200; round++) {
      const entities = Array.from({ length: Math.floor(random() * 6) }, (_, i) =>
        entity(
          `e${i}`,
          pick(['n0', 'n1', 'n2', `e${(i + 1) % 3}`]),
          attrs.filter(() => random() < 0.4),
        ),
      )
      const texts = Array.from({ length: 1 + Math.floor(random() * 3) }, () =>
        pick(['#all', '#p', '#q', '#r', '#s', '@n0', '@n1', '@e0', '@e1']),
      )
      const semantic: Semantic = random() < 0.5 ? 'anyOf' : 'allOf'
      const selected = ids(
        selectEntities(indexEntities(entities), roles(...texts), semantic),
      ).sort()
      const expected = ids(entities.filter((e) => rolesMatch(texts, semantic, e))).sort()
      expect(selected, `round ${round}: ${semantic} ${texts.join(',')}`).toEqual(expected)
      if (expected.length > 0) nonEmpty++
    }
    expect(nonEmpty).toBeGreaterThan(50) // the comparison was not vacuous
  })
})
