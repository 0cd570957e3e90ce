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
  const router = insertEntity(ctx.db, 'routers', {
    name: checkName(input.name),
    attributes: checkAttributes(input.attributes ?? []),
  })
  const enrollment = await issueEnrollToken(ctx, router.id, 'router')
  return { router, enrollment }
}

/** Deletes a router and revokes its certificates. */
export function removeRouter(ctx: ControllerContext, ref: string): AttributedEntity {
  return applyChange(ctx, (scope) => {
    const gone = deleteEntity(ctx.db, 'routers', ref)
    scope.revoke(gone.id)
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
  const router = getEntity(ctx.db, 'routers', ref)
  const token = await issueEnrollToken(ctx, router.id, 'router')
  ctx.log.info({ router: router.id, name: router.name }, 'router enrollment token issued')
  return token
}
