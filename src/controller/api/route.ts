import type { FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify'
import type { ControllerContext } from '../context.js'
import { authorize, type Access, type Principal } from './auth.js'
import { errorSchema } from './errors.js'

/** What a handler gets: the parsed request and, unless the route is public, the caller. */
export interface RouteInput {
  body: Record<string, unknown>
  params: Record<string, string>
  principal: Principal | undefined
  req: FastifyRequest
  reply: FastifyReply
}

/** One route: access level, schemas and handler, in one declaration. */
export interface RouteSpec {
  method: HTTPMethods
  url: string
  access: Access
  summary: string
  tags: readonly string[]
  params?: object
  body?: object
  response: object
  status?: number
  handler: (input: RouteInput) => unknown
}

const principals = new WeakMap<FastifyRequest, Principal | undefined>()

/**
 * Registers a route. Authentication runs in onRequest, before the body is read, so an
 * unauthenticated client cannot make the controller parse a management request.
 */
export function addRoute(app: FastifyInstance, ctx: ControllerContext, spec: RouteSpec): void {
  const status = spec.status ?? 200
  app.route({
    method: spec.method,
    url: spec.url,
    schema: {
      summary: spec.summary,
      tags: [...spec.tags],
      ...(spec.params ? { params: spec.params } : {}),
      ...(spec.body ? { body: spec.body } : {}),
      response: { [status]: spec.response, '4xx': errorSchema, '5xx': errorSchema },
    },
    onRequest: async (req) => {
      principals.set(req, await authorize(ctx, req, spec.access))
    },
    handler: async (req, reply) => {
      const result = await spec.handler({
        body: (req.body ?? {}) as Record<string, unknown>,
        params: (req.params ?? {}) as Record<string, string>,
        principal: principals.get(req),
        req,
        reply,
      })
      // A streamed answer took the socket over (reply.hijack()): Fastify must not send it again.
      if (reply.sent) return reply
      return reply.status(status).send(result)
    },
  })
}
