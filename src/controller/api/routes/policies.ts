import type { FastifyInstance } from 'fastify'
import type { ControllerContext } from '../../context.js'
import {
  getRouterPolicy,
  getServicePolicy,
  listRouterPolicies,
  listServicePolicies,
} from '../../model/policies.js'
import {
  changeServicePolicy,
  createRouterPolicy,
  createServicePolicy,
  removeRouterPolicy,
  removeServicePolicy,
} from '../../ops/policies.js'
import type { Action, Semantic } from '../../policy/types.js'
import { addRoute } from '../route.js'
import {
  createRouterPolicyBody,
  createServicePolicyBody,
  refParams,
  routerPolicy,
  servicePolicy,
  updateServicePolicyBody,
} from '../schemas.js'

/** Admin routes for service policies (dial, bind) and router policies. */
export function policyRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  const base = { access: 'admin', tags: ['policies'] } as const
  const one = {
    type: 'object',
    properties: { policy: servicePolicy },
    required: ['policy'],
  } as const
  const oneRouter = {
    type: 'object',
    properties: { policy: routerPolicy },
    required: ['policy'],
  } as const
  addRoute(app, ctx, {
    ...base,
    method: 'GET',
    url: '/v1/service-policies',
    summary: 'List dial and bind policies',
    response: {
      type: 'object',
      properties: { policies: { type: 'array', items: servicePolicy } },
      required: ['policies'],
    },
    handler: async () => ({ policies: await listServicePolicies(ctx.db) }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'POST',
    url: '/v1/service-policies',
    summary: 'Create a dial or bind policy',
    body: createServicePolicyBody,
    status: 201,
    response: one,
    handler: async ({ body }) => ({
      policy: await createServicePolicy(ctx, {
        name: body.name as string,
        type: body.type as Action,
        identityRoles: body.identityRoles as string[],
        serviceRoles: body.serviceRoles as string[],
        semantic: body.semantic as Semantic | undefined,
      }),
    }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'GET',
    url: '/v1/service-policies/:ref',
    summary: 'Show a service policy',
    params: refParams,
    response: one,
    handler: async ({ params }) => ({ policy: await getServicePolicy(ctx.db, params.ref!) }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'PATCH',
    url: '/v1/service-policies/:ref',
    summary: 'Replace the roles or semantic of a service policy',
    params: refParams,
    body: updateServicePolicyBody,
    response: one,
    handler: async ({ params, body }) => ({
      policy: await changeServicePolicy(ctx, params.ref!, {
        identityRoles: body.identityRoles as string[] | undefined,
        serviceRoles: body.serviceRoles as string[] | undefined,
        semantic: body.semantic as Semantic | undefined,
      }),
    }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'DELETE',
    url: '/v1/service-policies/:ref',
    summary: 'Delete a service policy',
    params: refParams,
    response: one,
    handler: async ({ params }) => ({ policy: await removeServicePolicy(ctx, params.ref!) }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'GET',
    url: '/v1/router-policies',
    summary: 'List router policies',
    response: {
      type: 'object',
      properties: { policies: { type: 'array', items: routerPolicy } },
      required: ['policies'],
    },
    handler: async () => ({ policies: await listRouterPolicies(ctx.db) }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'POST',
    url: '/v1/router-policies',
    summary: 'Create a router policy',
    body: createRouterPolicyBody,
    status: 201,
    response: oneRouter,
    handler: async ({ body }) => ({
      policy: await createRouterPolicy(ctx, {
        name: body.name as string,
        identityRoles: body.identityRoles as string[],
        routerRoles: body.routerRoles as string[],
        semantic: body.semantic as Semantic | undefined,
      }),
    }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'GET',
    url: '/v1/router-policies/:ref',
    summary: 'Show a router policy',
    params: refParams,
    response: oneRouter,
    handler: async ({ params }) => ({ policy: await getRouterPolicy(ctx.db, params.ref!) }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'DELETE',
    url: '/v1/router-policies/:ref',
    summary: 'Delete a router policy',
    params: refParams,
    response: oneRouter,
    handler: async ({ params }) => ({ policy: await removeRouterPolicy(ctx, params.ref!) }),
  })
}
