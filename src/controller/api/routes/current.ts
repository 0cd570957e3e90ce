import type { FastifyInstance } from 'fastify'
import type { ControllerContext } from '../../context.js'
import { renew } from '../../ops/enroll.js'
import { grantsFor } from '../../ops/grants.js'
import { addRoute } from '../route.js'
import { grantsResponse, renewBody } from '../schemas.js'

/** Routes for the authenticated caller itself: its grants and certificate renewal. */
export function currentRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  const tags = ['current identity']
  addRoute(app, ctx, {
    method: 'GET',
    url: '/v1/current-identity/grants',
    access: 'identity',
    summary:
      'Signed grants for every permitted (service, action), the services, and the routers to use',
    tags,
    response: grantsResponse,
    handler: ({ principal }) => grantsFor(ctx, principal!),
  })
  addRoute(app, ctx, {
    method: 'POST',
    url: '/v1/current-identity/renew',
    access: 'principal',
    summary: 'Exchange a CSR for a fresh certificate of the caller',
    tags,
    body: renewBody,
    response: {
      type: 'object',
      properties: {
        certificate: { type: 'string' },
        notAfter: { type: 'string' },
        knock: { type: 'array', items: { type: 'string' }, maxItems: 2 },
      },
      required: ['certificate', 'notAfter'],
    },
    handler: ({ principal, body }) => renew(ctx, principal!, body.csr as string),
  })
}
