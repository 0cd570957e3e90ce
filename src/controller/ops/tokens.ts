import type { ControllerContext } from '../context.js'
import { signEnrollToken } from '../enrollment/token.js'
import { deleteUnusedEnrollments, insertEnrollment, type EnrollKind } from '../model/enrollments.js'

/** A freshly issued one-time enrollment token; shown once, never stored. */
export interface IssuedToken {
  token: string
  expiresAt: string
}

/** Issues a one-time token for a principal, replacing any unused one it had. */
export async function issueEnrollToken(
  ctx: ControllerContext,
  principalId: string,
  kind: EnrollKind,
): Promise<IssuedToken> {
  const signed = await signEnrollToken(
    ctx.signingKey,
    {
      url: ctx.url,
      urls: ctx.replicas.urls(),
      caf: ctx.caFingerprint,
      net: ctx.network,
      sub: principalId,
      em: kind,
    },
    ctx.settings.enrollTtl,
  )
  await ctx.db.transaction(
    async (tx) => {
      await deleteUnusedEnrollments(tx, principalId)
      await insertEnrollment(tx, {
        jti: signed.jti,
        principalId,
        principalKind: kind,
        expiresAt: signed.expiresAt,
      })
    },
    { exclusive: true },
  )
  return { token: signed.token, expiresAt: new Date(signed.expiresAt).toISOString() }
}
