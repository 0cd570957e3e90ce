import { applyChange } from '../changes.js'
import type { ControllerContext } from '../context.js'
import {
  deleteIdentity,
  getIdentity,
  insertIdentity,
  updateIdentity,
  type Identity,
} from '../model/identities.js'
import { checkAttributes, checkName } from '../policy/names.js'
import { issueEnrollToken, type IssuedToken } from './tokens.js'

/** Creates an identity and its one-time enrollment token. */
export async function createIdentity(
  ctx: ControllerContext,
  input: { name: string; attributes?: string[]; kind?: 'endpoint' | 'admin' },
): Promise<{ identity: Identity; enrollment: IssuedToken }> {
  const clean = {
    name: checkName(input.name),
    kind: input.kind ?? 'endpoint',
    attributes: checkAttributes(input.attributes ?? []),
  }
  const created = await ctx.db.transaction((tx) => insertIdentity(tx, clean), { exclusive: true })
  const enrollment = await issueEnrollToken(ctx, created.id, 'identity')
  ctx.log.info({ identity: created.id, name: created.name }, 'identity created')
  return { identity: await getIdentity(ctx.db, created.id), enrollment }
}

/**
 * Changes an identity's name, attributes or disabled flag. Disabling revokes its certificates;
 * every permission the change removes is pushed to the routers.
 */
export async function changeIdentity(
  ctx: ControllerContext,
  ref: string,
  patch: { name?: string; attributes?: string[]; disabled?: boolean },
): Promise<Identity> {
  const clean = {
    name: patch.name === undefined ? undefined : checkName(patch.name),
    attributes: patch.attributes === undefined ? undefined : checkAttributes(patch.attributes),
    disabled: patch.disabled,
  }
  return applyChange(ctx, async (scope) => {
    const before = await getIdentity(scope.tx, ref)
    const after = await updateIdentity(scope.tx, ref, clean)
    if (after.disabled && !before.disabled) await scope.revoke(after.id)
    return after
  })
}

/** Deletes an identity and revokes its certificates. */
export async function removeIdentity(ctx: ControllerContext, ref: string): Promise<Identity> {
  return applyChange(ctx, async (scope) => {
    const gone = await deleteIdentity(scope.tx, ref)
    await scope.revoke(gone.id)
    return gone
  })
}

/** Issues a new one-time token for an existing identity (the old unused one stops working). */
export async function reissueIdentityToken(
  ctx: ControllerContext,
  ref: string,
): Promise<IssuedToken> {
  const identity = await getIdentity(ctx.db, ref)
  return issueEnrollToken(ctx, identity.id, 'identity')
}
