import type { FastifyInstance } from 'fastify'
import type { ControllerContext } from '../../context.js'
import { networkStatus } from '../../ops/status.js'
import { addRoute } from '../route.js'

const nullableString = { type: ['string', 'null'] } as const

const certificateState = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['ca', 'controller', 'router', 'endpoint', 'admin'] },
    id: { type: 'string' },
    name: { type: 'string' },
    notAfter: nullableString,
    expiresIn: { type: ['integer', 'null'] },
    issuedAt: nullableString,
    renewals: { type: 'integer' },
    lastRenewal: nullableString,
    renewsItself: { type: 'boolean' },
    warning: { type: 'string' },
  },
  required: [
    'kind',
    'id',
    'name',
    'notAfter',
    'expiresIn',
    'issuedAt',
    'renewals',
    'lastRenewal',
    'renewsItself',
  ],
} as const

/** `GET /v1/status`: every certificate of the network with its expiry, renewals and warnings. */
export function statusRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  addRoute(app, ctx, {
    method: 'GET',
    url: '/v1/status',
    access: 'admin',
    summary:
      'The CA, the controller, each router and identity: certificate expiry, renewals, and warnings about anything expiring soon or overdue for renewal',
    tags: ['status'],
    response: {
      type: 'object',
      properties: {
        network: { type: 'string' },
        now: { type: 'string' },
        certificates: { type: 'array', items: certificateState },
        warnings: { type: 'array', items: { type: 'string' } },
      },
      required: ['network', 'now', 'certificates', 'warnings'],
    },
    handler: () => networkStatus(ctx),
  })
}
