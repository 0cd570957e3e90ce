import { ZhError, type ZhCode } from '../../errors.js'
import { checkAttributes, checkName } from './names.js'
import { checkRoles } from './roles.js'
import type { Entity, IdentityEntity, PolicySnapshot, Semantic, ServicePolicy } from './types.js'

/** The changes a permission preview can simulate, named `<thing>.<verb>`. */
export const CHANGE_KINDS = [
  'service-policy.create',
  'service-policy.update',
  'service-policy.delete',
  'router-policy.create',
  'router-policy.delete',
  'identity.create',
  'identity.update',
  'identity.delete',
  'service.create',
  'service.update',
  'service.delete',
] as const

/** One of {@link CHANGE_KINDS}. */
export type ChangeKind = (typeof CHANGE_KINDS)[number]

/** One proposed change: `ref` names what an update or delete acts on, `body` is the real route's body. */
export interface ProposedChange {
  change: string
  ref?: string
  body?: Record<string, unknown>
}

/** The id a created policy has in the simulated snapshot; no role selects a policy, so any id does. */
export const PREVIEW_ID = '(preview)'

/**
 * Finds an entity or policy by id, else by name (as the store does), or throws `code`.
 *
 * @example
 * findByRef(snapshot.services, 'jenkins', 'ZH_SERVICE_NOT_FOUND') // { id: 's1', name: 'jenkins', ... }
 */
export function findByRef<T extends { id: string; name: string }>(
  items: readonly T[],
  ref: string | undefined,
  code: ZhCode,
): T {
  if (typeof ref !== 'string') throw new ZhError('ZH_BAD_REQUEST', 'ref is required')
  const found = items.find((x) => x.id === ref) ?? items.find((x) => x.name === ref)
  if (found === undefined) throw new ZhError(code, ref)
  return found
}

/** The same check as the real op (ops/policies.ts), so a preview refuses what the op refuses. */
function checkSemantic(s: unknown): Semantic {
  if (s === undefined || s === 'anyOf' || s === 'allOf') return s ?? 'anyOf'
  throw new ZhError('ZH_BAD_REQUEST', 'semantic must be anyOf or allOf')
}

function assertNameFree(
  items: readonly { id: string; name: string }[],
  name: string,
  exceptId?: string,
): void {
  if (items.some((x) => x.name === name && x.id !== exceptId))
    throw new ZhError('ZH_NAME_TAKEN', name)
}

function optional<T>(value: unknown, check: (v: never) => T): T | undefined {
  return value === undefined ? undefined : check(value as never)
}

/** `items` with the element of id `id` replaced by `next` (or dropped when `next` is undefined). */
function replace<T extends { id: string }>(items: readonly T[], id: string, next?: T): T[] {
  return items.flatMap((x) => (x.id !== id ? [x] : next === undefined ? [] : [next]))
}

function updateEntity<T extends Entity>(
  items: readonly T[],
  ref: string | undefined,
  body: Record<string, unknown>,
  code: ZhCode,
  extra: Partial<T> = {},
): T[] {
  // Checked before the lookup, in the real op's order, so the same input fails with the same code.
  const name = optional(body.name, checkName)
  const attributes = optional(body.attributes, checkAttributes)
  const current = findByRef(items, ref, code)
  if (name !== undefined) assertNameFree(items, name, current.id)
  return replace(items, current.id, {
    ...current,
    ...extra,
    name: name ?? current.name,
    attributes: attributes ?? current.attributes,
  })
}

function updateIdentity(s: PolicySnapshot, p: ProposedChange): IdentityEntity[] {
  const body = p.body ?? {}
  const disabled = body.disabled
  if (disabled !== undefined && typeof disabled !== 'boolean')
    throw new ZhError('ZH_BAD_REQUEST', 'disabled must be a boolean')
  const extra = disabled === undefined ? {} : { disabled }
  return updateEntity(s.identities, p.ref, body, 'ZH_IDENTITY_NOT_FOUND', extra)
}

/**
 * The snapshot as it would be after `p`, computed in memory: the store is never touched. Input is
 * validated like the real op validates it and fails with the same `ZH_*` codes (`ZH_NAME_INVALID`,
 * `ZH_ROLE_INVALID`, `ZH_ATTRIBUTE_INVALID`, `ZH_NAME_TAKEN`, `ZH_*_NOT_FOUND`); an unknown
 * change kind is `ZH_BAD_REQUEST`.
 *
 * @example
 * const after = applyProposedChange(before, { change: 'service-policy.delete', ref: 'ci-dial' })
 * lostPermissions(before, after) // what deleting ci-dial would take away
 */
export function applyProposedChange(s: PolicySnapshot, p: ProposedChange): PolicySnapshot {
  const body = p.body ?? {}
  switch (p.change as ChangeKind) {
    case 'service-policy.create': {
      const type = body.type
      if (type !== 'dial' && type !== 'bind')
        throw new ZhError('ZH_BAD_REQUEST', 'type must be dial or bind')
      const policy: ServicePolicy = {
        id: PREVIEW_ID,
        name: checkName(body.name as string),
        type,
        identityRoles: checkRoles(body.identityRoles as string[]),
        serviceRoles: checkRoles(body.serviceRoles as string[]),
        semantic: checkSemantic(body.semantic),
      }
      assertNameFree(s.servicePolicies, policy.name)
      return { ...s, servicePolicies: [...s.servicePolicies, policy] }
    }
    case 'service-policy.update': {
      const identityRoles = optional(body.identityRoles, checkRoles)
      const serviceRoles = optional(body.serviceRoles, checkRoles)
      const semantic = body.semantic === undefined ? undefined : checkSemantic(body.semantic)
      const current = findByRef(s.servicePolicies, p.ref, 'ZH_POLICY_NOT_FOUND')
      const next = {
        ...current,
        identityRoles: identityRoles ?? current.identityRoles,
        serviceRoles: serviceRoles ?? current.serviceRoles,
        semantic: semantic ?? current.semantic,
      }
      return { ...s, servicePolicies: replace(s.servicePolicies, current.id, next) }
    }
    case 'service-policy.delete': {
      const current = findByRef(s.servicePolicies, p.ref, 'ZH_POLICY_NOT_FOUND')
      return { ...s, servicePolicies: replace(s.servicePolicies, current.id) }
    }
    case 'router-policy.create': {
      const policy = {
        id: PREVIEW_ID,
        name: checkName(body.name as string),
        identityRoles: checkRoles(body.identityRoles as string[]),
        routerRoles: checkRoles(body.routerRoles as string[]),
        semantic: checkSemantic(body.semantic),
      }
      assertNameFree(s.routerPolicies, policy.name)
      return { ...s, routerPolicies: [...s.routerPolicies, policy] }
    }
    case 'router-policy.delete': {
      const current = findByRef(s.routerPolicies, p.ref, 'ZH_POLICY_NOT_FOUND')
      return { ...s, routerPolicies: replace(s.routerPolicies, current.id) }
    }
    case 'identity.create': {
      const kind = body.kind ?? 'endpoint'
      if (kind !== 'endpoint' && kind !== 'admin')
        throw new ZhError('ZH_BAD_REQUEST', 'kind must be endpoint or admin')
      const created: IdentityEntity = {
        id: PREVIEW_ID,
        name: checkName(body.name as string),
        attributes: checkAttributes((body.attributes ?? []) as string[]),
        disabled: false,
        kind,
      }
      assertNameFree(s.identities, created.name)
      return { ...s, identities: [...s.identities, created] }
    }
    case 'identity.update':
      return { ...s, identities: updateIdentity(s, p) }
    case 'identity.delete': {
      const current = findByRef(s.identities, p.ref, 'ZH_IDENTITY_NOT_FOUND')
      return { ...s, identities: replace(s.identities, current.id) }
    }
    case 'service.create': {
      const created: Entity = {
        id: PREVIEW_ID,
        name: checkName(body.name as string),
        attributes: checkAttributes((body.attributes ?? []) as string[]),
      }
      assertNameFree(s.services, created.name)
      return { ...s, services: [...s.services, created] }
    }
    case 'service.update':
      return { ...s, services: updateEntity(s.services, p.ref, body, 'ZH_SERVICE_NOT_FOUND') }
    case 'service.delete': {
      const current = findByRef(s.services, p.ref, 'ZH_SERVICE_NOT_FOUND')
      return { ...s, services: replace(s.services, current.id) }
    }
    default:
      throw new ZhError('ZH_BAD_REQUEST', `unknown change kind ${JSON.stringify(p.change)}`)
  }
}
