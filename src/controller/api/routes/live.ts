import type { FastifyInstance } from 'fastify'
import type { ControllerContext } from '../../context.js'
import { loadSnapshotWithAddresses } from '../../model/snapshot.js'
import { liveView } from '../../routing/live.js'
import type { RoutingState } from '../../routing/state.js'
import { addRoute } from '../route.js'

const str = { type: 'string' } as const
const int = { type: 'integer' } as const

const circuit = {
  type: 'object',
  properties: {
    id: str,
    service: str,
    serviceName: str,
    dialer: str,
    dialerName: str,
    terminator: str,
    terminatorName: str,
    via: str,
    viaName: str,
    from: str,
    fromName: str,
    since: int,
  },
  required: ['id', 'service', 'dialer', 'since'],
} as const

const terminator = {
  type: 'object',
  properties: {
    service: str,
    serviceName: str,
    identity: str,
    identityName: str,
    circuits: int,
  },
  required: ['service', 'identity', 'circuits'],
} as const

/**
 * `GET /v1/live` (admin): every router with its live circuits and terminators as it last
 * reported them (a router reports within ~100 ms of a circuit opening or closing), names
 * resolved from one store snapshot. The console polls it every second.
 */
export function liveRoutes(
  app: FastifyInstance,
  ctx: ControllerContext,
  routing: RoutingState,
): void {
  addRoute(app, ctx, {
    method: 'GET',
    url: '/v1/live',
    access: 'admin',
    summary: 'Live circuits and terminators of every router, as each last reported them',
    tags: ['routers'],
    response: {
      type: 'object',
      properties: {
        routers: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: str,
              name: str,
              address: { type: ['string', 'null'] },
              online: { type: 'boolean' },
              circuits: { type: 'array', items: circuit },
              terminators: { type: 'array', items: terminator },
              circuitCount: int,
              terminatorCount: int,
            },
            required: ['id', 'name', 'address', 'online', 'circuits', 'terminators'],
          },
        },
      },
      required: ['routers'],
    },
    handler: async () => {
      const { snapshot, addresses } = await loadSnapshotWithAddresses(ctx.db)
      return { routers: liveView(snapshot, addresses, routing.live()) }
    },
  })
}
