import { applyChange } from '../changes.js'
import type { ControllerContext } from '../context.js'
import { deleteEntity, getEntity, insertEntity, type AttributedEntity } from '../model/entities.js'
import { checkAttributes, checkName } from '../policy/names.js'
import { issueEnrollToken, type IssuedToken } from './tokens.js'

/** Creates a router and its one-time enrollment token. */
export async function createRouter(
  ctx: ControllerContext,
  input: { name: string; attributes?: string[] },
): Promise<{ router: AttributedEntity; enrollment: IssuedToken }> {
  const clean = {
    name: checkName(input.name),
    attributes: checkAttributes(input.attributes ?? []),
  }
  const router = await ctx.db.transaction((tx) => insertEntity(tx, 'routers', clean), {
    exclusive: true,
  })
  const enrollment = await issueEnrollToken(ctx, router.id, 'router')
  return { router, enrollment }
}

/** Deletes a router and revokes its certificates. */
export async function removeRouter(ctx: ControllerContext, ref: string): Promise<AttributedEntity> {
  return applyChange(ctx, async (scope) => {
    const gone = await deleteEntity(scope.tx, 'routers', ref)
    await scope.revoke(gone.id)
    return gone
  })
}

/**
 * Issues a new one-time enrollment token for an existing router (the previous unused one stops
 * working): how a router whose certificate expired, say after the machine was off for longer
 * than its lifetime, is enrolled again (`zerohook router run --enroll`).
 */
export async function reissueRouterToken(
  ctx: ControllerContext,
  ref: string,
): Promise<IssuedToken> {
  const router = await getEntity(ctx.db, 'routers', ref)
  const token = await issueEnrollToken(ctx, router.id, 'router')
  ctx.log.info({ router: router.id, name: router.name }, 'router enrollment token issued')
  return token
}
