import { ZhError } from '../../errors.js'
import { MAX_ATTRIBUTES, RESERVED_ATTRIBUTE, describe, isName } from './names.js'
import { sortedUnique } from './order.js'
import type { Entity, Semantic } from './types.js'

/** A parsed role: every entity, the entities with one attribute, or one entity by name (or id). */
export type Role = { kind: 'all' } | { kind: 'attr'; attr: string } | { kind: 'name'; name: string }

/** At most this many roles on one side of a policy. */
export const MAX_ROLES = MAX_ATTRIBUTES

const ALL: Role = Object.freeze({ kind: 'all' })

/**
 * What may follow `@`: a name, or an id. Ids are base64url and may start with `-` or `_`, which a
 * name may not, so the first character is not restricted here.
 */
const NAME_OR_ID = /^[A-Za-z0-9._-]{1,64}$/

/**
 * Parses a role, or returns undefined when `text` is not one. `#all` is every entity, `#<attr>` an
 * attribute (charset of {@link isName}) and `@<name>` one entity by name or id.
 */
export function tryParseRole(text: unknown): Role | undefined {
  if (typeof text !== 'string') return undefined
  const rest = text.slice(1)
  if (text.startsWith('#') && isName(rest)) {
    return rest === RESERVED_ATTRIBUTE ? ALL : { kind: 'attr', attr: rest }
  }
  if (text.startsWith('@') && NAME_OR_ID.test(rest)) return { kind: 'name', name: rest }
  return undefined
}

/**
 * Parses a role or throws `ZH_ROLE_INVALID`.
 *
 * @example
 * parseRole('#all')     // { kind: 'all' }
 * parseRole('#ci')      // { kind: 'attr', attr: 'ci' }
 * parseRole('@jenkins') // { kind: 'name', name: 'jenkins' }
 * parseRole('ci')       // throws ZhError ZH_ROLE_INVALID
 */
export function parseRole(text: string): Role {
  const role = tryParseRole(text)
  if (!role) throw new ZhError('ZH_ROLE_INVALID', describe(text))
  return role
}

/**
 * Validates one side of a policy and returns its roles deduplicated and sorted. Throws
 * `ZH_ROLE_INVALID` on a bad role, on an empty list (a policy side must select something), or on
 * more than {@link MAX_ROLES} distinct roles.
 *
 * @example
 * checkRoles(['#ci', '@jenkins', '#ci']) // ['#ci', '@jenkins']
 * checkRoles([])                         // throws ZhError ZH_ROLE_INVALID
 */
export function checkRoles(texts: string[]): string[] {
  if (!Array.isArray(texts)) throw new ZhError('ZH_ROLE_INVALID', 'roles must be a list')
  for (const text of texts as unknown[]) parseRole(text as string)
  const unique = sortedUnique(texts)
  if (unique.length === 0) throw new ZhError('ZH_ROLE_INVALID', 'at least one role is required')
  if (unique.length > MAX_ROLES)
    throw new ZhError('ZH_ROLE_INVALID', `${unique.length} roles, at most ${MAX_ROLES}`)
  return unique
}

/**
 * True when `role` selects `entity`. `@name` matches the entity's name or its id, so a policy can
 * pin an entity that may later be renamed.
 *
 * @example
 * roleMatches({ kind: 'attr', attr: 'ci' }, { id: 'i1', name: 'runner', attributes: ['ci'] }) // true
 */
export function roleMatches(role: Role, entity: Entity): boolean {
  switch (role.kind) {
    case 'all':
      return true
    case 'attr':
      return entity.attributes.includes(role.attr)
    case 'name':
      return entity.name === role.name || entity.id === role.name
  }
}

/**
 * True when one side of a policy selects `entity`: `anyOf` needs some role to match, `allOf` every
 * role. An empty list selects nothing under either semantic (fail closed, although `[].every()` is
 * true).
 * Role strings are parsed; an invalid one throws `ZH_ROLE_INVALID`.
 *
 * @example
 * rolesMatch(['#ci', '#deploy'], 'anyOf', { id: 'i1', name: 'runner', attributes: ['ci'] }) // true
 * rolesMatch(['#ci', '#deploy'], 'allOf', { id: 'i1', name: 'runner', attributes: ['ci'] }) // false
 */
export function rolesMatch(
  roles: readonly string[] | readonly Role[],
  semantic: Semantic,
  entity: Entity,
): boolean {
  if (roles.length === 0) return false
  const parsed = roles.map((r: string | Role) => (typeof r === 'string' ? parseRole(r) : r))
  if (semantic === 'anyOf') return parsed.some((role) => roleMatches(role, entity))
  if (semantic === 'allOf') return parsed.every((role) => roleMatches(role, entity))
  return false // a semantic from corrupt data selects nothing
}
