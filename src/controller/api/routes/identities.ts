import type { FastifyInstance } from 'fastify'
import type { ControllerContext } from '../../context.js'
import { getIdentity, listIdentities } from '../../model/identities.js'
import {
  changeIdentity,
  createIdentity,
  reissueIdentityToken,
  removeIdentity,
} from '../../ops/identities.js'
import { addRoute } from '../route.js'
import {
  createIdentityBody,
  enrollment,
  identity,
  refParams,
  updateIdentityBody,
} from '../schemas.js'

/** Admin routes for identities. */
export function identityRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  const base = { access: 'admin', tags: ['identities'] } as const
  const one = { type: 'object', properties: { identity }, required: ['identity'] } as const
  addRoute(app, ctx, {
    ...base,
    method: 'GET',
    url: '/v1/identities',
    summary: 'List identities',
    response: {
      type: 'object',
      properties: { identities: { type: 'array', items: identity } },
      required: ['identities'],
    },
    handler: async () => ({ identities: await listIdentities(ctx.db) }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'POST',
    url: '/v1/identities',
    summary: 'Create an identity; the answer holds its one-time enrollment token',
    body: createIdentityBody,
    status: 201,
    response: {
      type: 'object',
      properties: { identity, enrollment },
      required: ['identity', 'enrollment'],
    },
    handler: ({ body }) =>
      createIdentity(ctx, {
        name: body.name as string,
        attributes: body.attributes as string[] | undefined,
        kind: body.kind as 'endpoint' | 'admin' | undefined,
      }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'GET',
    url: '/v1/identities/:ref',
    summary: 'Show an identity by name or id',
    params: refParams,
    response: one,
    handler: async ({ params }) => ({ identity: await getIdentity(ctx.db, params.ref!) }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'PATCH',
    url: '/v1/identities/:ref',
    summary: 'Rename, change attributes, disable or enable an identity',
    params: refParams,
    body: updateIdentityBody,
    response: one,
    handler: async ({ params, body }) => ({
      identity: await changeIdentity(ctx, params.ref!, {
        name: body.name as string | undefined,
        attributes: body.attributes as string[] | undefined,
        disabled: body.disabled as boolean | undefined,
      }),
    }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'DELETE',
    url: '/v1/identities/:ref',
    summary: 'Delete an identity and revoke its certificates',
    params: refParams,
    response: one,
    handler: async ({ params }) => ({ identity: await removeIdentity(ctx, params.ref!) }),
  })
  addRoute(app, ctx, {
    ...base,
    method: 'POST',
    url: '/v1/identities/:ref/enrollment',
    summary: 'Issue a new one-time enrollment token (the previous unused one stops working)',
    params: refParams,
    status: 201,
    response: { type: 'object', properties: { enrollment }, required: ['enrollment'] },
    handler: async ({ params }) => ({ enrollment: await reissueIdentityToken(ctx, params.ref!) }),
  })
}
