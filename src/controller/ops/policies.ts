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
export async function createServicePolicy(
  ctx: ControllerContext,
  input: {
    name: string
    type: Action
    identityRoles: string[]
    serviceRoles: string[]
    semantic?: Semantic
  },
): Promise<ServicePolicyRecord> {
  if (input.type !== 'dial' && input.type !== 'bind')
    throw new ZhError('ZH_BAD_REQUEST', 'type must be dial or bind')
  const clean = {
    name: checkName(input.name),
    type: input.type,
    identityRoles: checkRoles(input.identityRoles),
    serviceRoles: checkRoles(input.serviceRoles),
    semantic: checkSemantic(input.semantic),
  }
  return ctx.db.transaction((tx) => insertServicePolicy(tx, clean), { exclusive: true })
}

/** Replaces a policy's roles or semantic; lost permissions are pushed. */
export async function changeServicePolicy(
  ctx: ControllerContext,
  ref: string,
  patch: { identityRoles?: string[]; serviceRoles?: string[]; semantic?: Semantic },
): Promise<ServicePolicyRecord> {
  const clean = {
    identityRoles: patch.identityRoles && checkRoles(patch.identityRoles),
    serviceRoles: patch.serviceRoles && checkRoles(patch.serviceRoles),
    semantic: patch.semantic === undefined ? undefined : checkSemantic(patch.semantic),
  }
  return applyChange(ctx, ({ tx }) => updateServicePolicy(tx, ref, clean))
}

/** Deletes a service policy; lost permissions are pushed. */
export async function removeServicePolicy(
  ctx: ControllerContext,
  ref: string,
): Promise<ServicePolicyRecord> {
  return applyChange(ctx, ({ tx }) => deleteServicePolicy(tx, ref))
}

/** Creates a router policy (which identities may use which routers). */
export async function createRouterPolicy(
  ctx: ControllerContext,
  input: { name: string; identityRoles: string[]; routerRoles: string[]; semantic?: Semantic },
): Promise<RouterPolicyRecord> {
  const clean = {
    name: checkName(input.name),
    identityRoles: checkRoles(input.identityRoles),
    routerRoles: checkRoles(input.routerRoles),
    semantic: checkSemantic(input.semantic),
  }
  // Adding a router policy can also take access away (the default one stops applying alone).
  return applyChange(ctx, ({ tx }) => insertRouterPolicy(tx, clean))
}

/** Deletes a router policy; lost router access is pushed. */
export async function removeRouterPolicy(
  ctx: ControllerContext,
  ref: string,
): Promise<RouterPolicyRecord> {
  return applyChange(ctx, ({ tx }) => deleteRouterPolicy(tx, ref))
}
