import type { FastifyInstance } from 'fastify'
import type { ControllerContext } from '../../context.js'
import { loadSnapshot } from '../../model/snapshot.js'
import { previewChange } from '../../ops/preview.js'
import { findByRef } from '../../policy/apply-change.js'
import { explainIdentity, explainService } from '../../policy/explain.js'
import { addRoute } from '../route.js'
import { refParams } from '../schemas.js'
import { identityAccess, previewBody, previewResult, serviceAccess } from '../access-schemas.js'

/**
 * Admin routes for the web console (issue 14): a dry run of one policy or entity change, and who
 * may reach what with the policies that say so. None of them writes.
 */
export function accessRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  addRoute(app, ctx, {
    access: 'admin',
    tags: ['policies'],
    method: 'POST',
    url: '/v1/previews',
    summary: 'Preview the permissions one change would grant and remove, without applying it',
    body: previewBody,
    response: previewResult,
    handler: ({ body }) =>
      previewChange(ctx, {
        change: body.change as string,
        ref: body.ref as string | undefined,
        body: body.body as Record<string, unknown> | undefined,
      }),
  })
  addRoute(app, ctx, {
    access: 'admin',
    tags: ['services'],
    method: 'GET',
    url: '/v1/services/:ref/access',
    summary: 'Who may dial and bind a service, and which policies grant it',
    params: refParams,
    response: serviceAccess,
    handler: async ({ params }) => {
      const s = await loadSnapshot(ctx.db)
      return explainService(s, findByRef(s.services, params.ref, 'ZH_SERVICE_NOT_FOUND'))
    },
  })
  addRoute(app, ctx, {
    access: 'admin',
    tags: ['identities'],
    method: 'GET',
    url: '/v1/identities/:ref/access',
    summary: 'Which services and routers an identity may use, and which policies grant it',
    params: refParams,
    response: identityAccess,
    handler: async ({ params }) => {
      const s = await loadSnapshot(ctx.db)
      return explainIdentity(s, findByRef(s.identities, params.ref, 'ZH_IDENTITY_NOT_FOUND'))
    },
  })
}
