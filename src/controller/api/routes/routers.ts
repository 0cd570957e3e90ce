import type { FastifyInstance } from 'fastify'
import type { ControllerContext } from '../../context.js'
import { getEntity, listEntities } from '../../model/entities.js'
import { createRouter, reissueRouterToken, removeRouter } from '../../ops/routers.js'
import { addRoute } from '../route.js'
import { createEntityBody, enrollment, entity, refParams } from '../schemas.js'

/** Admin routes for routers. */
export function routerRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  const base = { access: 'admin', tags: ['routers'] } as const
  const one = { type: 'object', properties: { router: entity }, required: ['router'] } as const
  addRoute(app, ctx, {
    ...base,
    method: 'GET',
    url: '/v1/routers',
    summary: 'List routers',
    response: {
      type: 'object',
      properties: { routers: { type: 'array', items: entity } },
      required: ['routers'],
    },
    handler: async () => ({ routers: await listEntities(ctx.db, 'routers') }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'POST',
    url: '/v1/routers',
    summary: 'Create a router; the answer holds its one-time enrollment token',
    body: createEntityBody,
    status: 201,
    response: {
      type: 'object',
      properties: { router: entity, enrollment },
      required: ['router', 'enrollment'],
    },
    handler: ({ body }) =>
      createRouter(ctx, {
        name: body.name as string,
        attributes: body.attributes as string[] | undefined,
      }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'GET',
    url: '/v1/routers/:ref',
    summary: 'Show a router by name or id',
    params: refParams,
    response: one,
    handler: async ({ params }) => ({ router: await getEntity(ctx.db, 'routers', params.ref!) }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'DELETE',
    url: '/v1/routers/:ref',
    summary: 'Delete a router and revoke its certificates',
    params: refParams,
    response: one,
    handler: async ({ params }) => ({ router: await removeRouter(ctx, params.ref!) }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'POST',
    url: '/v1/routers/:ref/enrollment',
    summary:
      'Issue a new one-time enrollment token for a router, e.g. one whose certificate expired (the previous unused one stops working)',
    params: refParams,
    status: 201,
    response: { type: 'object', properties: { enrollment }, required: ['enrollment'] },
    handler: async ({ params }) => ({ enrollment: await reissueRouterToken(ctx, params.ref!) }),
  })
}
