import { ZhError } from '../../errors.js'
import { applyChange } from '../changes.js'
import type { ControllerContext } from '../context.js'
import {
  deleteRouterPolicy,
  deleteServicePolicy,
  insertRouterPolicy,
  insertServicePolicy,
  updateServicePolicy,
  type RouterPolicyRecord,
  type ServicePolicyRecord,
} from '../model/policies.js'
import { checkName } from '../policy/names.js'
import { checkRoles } from '../policy/roles.js'
import type { Action, Semantic } from '../policy/types.js'

function checkSemantic(s: string | undefined): Semantic {
  if (s === undefined || s === 'anyOf' || s === 'allOf') return s ?? 'anyOf'
  throw new ZhError('ZH_BAD_REQUEST', 'semantic must be anyOf or allOf')
}

/** Creates a dial or bind policy. */
export function createServicePolicy(
  ctx: ControllerContext,
  input: {
    name: string
    type: Action
    identityRoles: string[]
    serviceRoles: string[]
    semantic?: Semantic
  },
): ServicePolicyRecord {
  if (input.type !== 'dial' && input.type !== 'bind')
    throw new ZhError('ZH_BAD_REQUEST', 'type must be dial or bind')
  return insertServicePolicy(ctx.db, {
    name: checkName(input.name),
    type: input.type,
    identityRoles: checkRoles(input.identityRoles),
    serviceRoles: checkRoles(input.serviceRoles),
    semantic: checkSemantic(input.semantic),
  })
}

/** Replaces a policy's roles or semantic; lost permissions are pushed. */
export function changeServicePolicy(
  ctx: ControllerContext,
  ref: string,
  patch: { identityRoles?: string[]; serviceRoles?: string[]; semantic?: Semantic },
): ServicePolicyRecord {
  const clean = {
    identityRoles: patch.identityRoles && checkRoles(patch.identityRoles),
    serviceRoles: patch.serviceRoles && checkRoles(patch.serviceRoles),
    semantic: patch.semantic === undefined ? undefined : checkSemantic(patch.semantic),
  }
  return applyChange(ctx, () => updateServicePolicy(ctx.db, ref, clean))
}

/** Deletes a service policy; lost permissions are pushed. */
export function removeServicePolicy(ctx: ControllerContext, ref: string): ServicePolicyRecord {
  return applyChange(ctx, () => deleteServicePolicy(ctx.db, ref))
}

/** Creates a router policy (which identities may use which routers). */
export function createRouterPolicy(
  ctx: ControllerContext,
  input: { name: string; identityRoles: string[]; routerRoles: string[]; semantic?: Semantic },
): RouterPolicyRecord {
  return insertRouterPolicy(ctx.db, {
    name: checkName(input.name),
    identityRoles: checkRoles(input.identityRoles),
    routerRoles: checkRoles(input.routerRoles),
    semantic: checkSemantic(input.semantic),
  })
}

/** Deletes a router policy; lost router access is pushed. */
export function removeRouterPolicy(ctx: ControllerContext, ref: string): RouterPolicyRecord {
  return applyChange(ctx, () => deleteRouterPolicy(ctx.db, ref))
}
