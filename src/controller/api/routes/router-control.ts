import type { FastifyInstance } from 'fastify'
import type { ChangeEvent } from '../../changes.js'
import type { ControllerContext } from '../../context.js'
import { activeRevocations } from '../../model/certificates.js'
import { reportRouterStatus } from '../../model/router-status.js'
import { addRoute } from '../route.js'

/** How often an idle event stream carries a heartbeat line, so both ends notice a dead peer. */
export const HEARTBEAT_MS = 10_000

/**
 * The routers' control channel: each router holds `GET /v1/router/events` open (mTLS, router
 * certificate) and receives NDJSON lines: first a `hello` with every unexpired revoked
 * certificate, then a `change` for every ChangeEvent, as it happens.
 */
export function routerControlRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  const tags = ['router control']
  // Hijacked streams never finish on their own: end them so that close() does not wait for ever.
  const streams = new Set<{ end(): void }>()
  app.addHook('preClose', (done) => {
    for (const res of streams) res.end()
    done()
  })
  addRoute(app, ctx, {
    method: 'POST',
    url: '/v1/router/status',
    access: 'router',
    summary: 'A router reports the address endpoints reach it at',
    tags,
    body: {
      type: 'object',
      additionalProperties: false,
      properties: { address: { type: 'string', minLength: 3, maxLength: 300 } },
      required: ['address'],
    },
    response: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
    handler: ({ principal, body }) => {
      reportRouterStatus(ctx.db, principal!.id, body.address as string)
      return { ok: true }
    },
  })

  addRoute(app, ctx, {
    method: 'GET',
    url: '/v1/router/events',
    access: 'router',
    summary: 'NDJSON stream of revocations and lost permissions, pushed as they happen',
    tags,
    response: { type: 'string' },
    handler: ({ principal, reply }) => {
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
      const send = (line: object) => res.write(`${JSON.stringify(line)}\n`)
      send({
        type: 'hello',
        routerId: principal!.id,
        revoked: activeRevocations(ctx.db),
        grantKey: ctx.signingKey.publicJwk,
      })
      const onChange = (event: ChangeEvent) => send({ type: 'change', ...event })
      ctx.events.on('change', onChange)
      const heartbeat = setInterval(() => send({ type: 'heartbeat', at: Date.now() }), HEARTBEAT_MS)
      heartbeat.unref()
      ctx.log.info({ router: principal!.id }, 'router control channel open')
      streams.add(res)
      res.on('close', () => {
        streams.delete(res)
        clearInterval(heartbeat)
        ctx.events.off('change', onChange)
        ctx.log.info({ router: principal!.id }, 'router control channel closed')
      })
      return undefined
    },
  })
}
