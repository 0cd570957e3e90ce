import type { FastifyInstance } from 'fastify'
import type { ControllerContext } from '../../context.js'
import { getEntity, listEntities } from '../../model/entities.js'
import { changeService, createService, removeService } from '../../ops/services.js'
import { addRoute } from '../route.js'
import { createEntityBody, entity, refParams, updateEntityBody } from '../schemas.js'

/** Admin routes for services. */
export function serviceRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  const base = { access: 'admin', tags: ['services'] } as const
  const one = { type: 'object', properties: { service: entity }, required: ['service'] } as const
  addRoute(app, ctx, {
    ...base,
    method: 'GET',
    url: '/v1/services',
    summary: 'List services',
    response: {
      type: 'object',
      properties: { services: { type: 'array', items: entity } },
      required: ['services'],
    },
    handler: async () => ({ services: await listEntities(ctx.db, 'services') }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'POST',
    url: '/v1/services',
    summary: 'Create a service',
    body: createEntityBody,
    status: 201,
    response: one,
    handler: async ({ body }) => ({
      service: await createService(ctx, {
        name: body.name as string,
        attributes: body.attributes as string[] | undefined,
      }),
    }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'GET',
    url: '/v1/services/:ref',
    summary: 'Show a service by name or id',
    params: refParams,
    response: one,
    handler: async ({ params }) => ({ service: await getEntity(ctx.db, 'services', params.ref!) }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'PATCH',
    url: '/v1/services/:ref',
    summary: 'Rename a service or replace its attributes',
    params: refParams,
    body: updateEntityBody,
    response: one,
    handler: async ({ params, body }) => ({
      service: await changeService(ctx, params.ref!, {
        name: body.name as string | undefined,
        attributes: body.attributes as string[] | undefined,
      }),
    }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'DELETE',
    url: '/v1/services/:ref',
    summary: 'Delete a service',
    params: refParams,
    response: one,
    handler: async ({ params }) => ({ service: await removeService(ctx, params.ref!) }),
  })
}
