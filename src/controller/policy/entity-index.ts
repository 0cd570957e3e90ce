import { roleMatches, type Role } from './roles.js'
import type { Entity, Semantic } from './types.js'

/**
 * Entities of one kind indexed by attribute and by name and id, so a role finds its entities by
 * lookup instead of a scan. Built once per snapshot in O(total attributes).
 */
export interface EntityIndex<E extends Entity> {
  /** Every indexed entity, in input order. */
  readonly all: readonly E[]
  /** The entities one role selects. */
  select(role: Role): readonly E[]
}

/**
 * Indexes `entities`. Each list the index returns holds an entity at most once.
 *
 * @example
 * const index = indexEntities(snapshot.services)
 * index.select({ kind: 'attr', attr: 'ci' }) // every service with attribute `ci`
 */
export function indexEntities<E extends Entity>(entities: readonly E[]): EntityIndex<E> {
  const byAttr = new Map<string, E[]>()
  const byNameOrId = new Map<string, E[]>()
  const add = (map: Map<string, E[]>, key: string, entity: E): void => {
    const list = map.get(key)
    if (list === undefined) map.set(key, [entity])
    else if (list.at(-1) !== entity) list.push(entity) // name === id, or a repeated attribute
  }
  for (const entity of entities) {
    for (const attr of new Set(entity.attributes)) add(byAttr, attr, entity)
    add(byNameOrId, entity.name, entity)
    add(byNameOrId, entity.id, entity)
  }
  return {
    all: entities,
    select(role) {
      switch (role.kind) {
        case 'all':
          return entities
        case 'attr':
          return byAttr.get(role.attr) ?? []
        case 'name':
          return byNameOrId.get(role.name) ?? []
      }
    },
  }
}

/**
 * The entities one side of a policy selects, each once: the union of the roles' selections for
 * `anyOf`, their intersection for `allOf`. No roles select nothing, as in `rolesMatch`.
 *
 * Cost: anyOf is O(size of the union); allOf filters the smallest role's selection, O(r x k x
 * smallest) for r roles and k attributes an entity.
 */
export function selectEntities<E extends Entity>(
  index: EntityIndex<E>,
  roles: readonly Role[],
  semantic: Semantic,
): readonly E[] {
  if (roles.length === 0) return []
  const selections = roles.map((role) => index.select(role))
  if (semantic === 'anyOf') {
    if (roles.some((role) => role.kind === 'all')) return index.all
    const union = new Set<E>()
    for (const selection of selections) for (const entity of selection) union.add(entity)
    return [...union]
  }
  if (semantic === 'allOf') {
    let smallest = selections[0]!
    for (const selection of selections) if (selection.length < smallest.length) smallest = selection
    return smallest.filter((entity) => roles.every((role) => roleMatches(role, entity)))
  }
  return [] // a semantic from corrupt data selects nothing
}
