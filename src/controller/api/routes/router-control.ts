import type { FastifyInstance } from 'fastify'
import type { ChangeEvent, SequencedChange } from '../../changes.js'
import type { ControllerContext } from '../../context.js'
import { activeRevocations } from '../../model/certificates.js'
import { reportRouterStatus } from '../../model/router-status.js'
import { liveFromStatus, liveStatusProperties } from '../../routing/live.js'
import { RouterPresence } from '../../routing/presence.js'
import { RoutingState, type RoutesLine, type TopologyReport } from '../../routing/state.js'
import { addRoute } from '../route.js'
import { liveRoutes } from './live.js'

/** How often an idle event stream carries a heartbeat line, so both ends notice a dead peer. */
export const HEARTBEAT_MS = 10_000

/** Bounds of a status report: routers linked, services hosted. */
const MAX_ENTRIES = 10_000
/**
 * Body limit of a status report. Its live part alone (1,000 circuits and 1,000 terminators)
 * is ~170 KB, past the API's 64 KiB; the router is authenticated before the body is read.
 */
const STATUS_BODY_LIMIT = 1024 * 1024

/**
 * The routers' control channel: each router holds `GET /v1/router/events` open (mTLS, router
 * certificate) and receives NDJSON lines: first a `hello` with every unexpired revoked
 * certificate and the network's knock keys, then a `change` for every ChangeEvent, as it
 * happens, a `knock` line at each knock key rotation, and a `routes` line (its link peers and
 * routing table) whenever that changes. Routers report their links, terminators and load with
 * `POST /v1/router/status`.
 */
export function routerControlRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  const tags = ['router control']
  const routing = new RoutingState()
  routing.setMaxListeners(0) // one listener per open control channel
  // Other replicas' routers join this replica's graph (shared stores).
  const presence = new RouterPresence(ctx.db, () => ctx.url, routing, ctx.log)
  presence.start()
  // A deleted router's certificates are revoked: it leaves the graph at once.
  ctx.events.on('change', (event: ChangeEvent) => {
    for (const r of event.revoked) routing.remove(r.principalId)
  })
  // Hijacked streams never finish on their own: end them so that close() does not wait for ever.
  const streams = new Set<{ end(): void }>()
  app.addHook('preClose', (done) => {
    for (const res of streams) res.end()
    done()
  })
  app.addHook('onClose', async () => presence.stop())
  // addRoute has no body limit of its own: raise it for this one route as Fastify registers it.
  app.addHook('onRoute', (route) => {
    if (route.url === '/v1/router/status' && route.method === 'POST')
      route.bodyLimit = STATUS_BODY_LIMIT
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
      properties: {
        address: { type: 'string', minLength: 3, maxLength: 300 },
        links: {
          type: 'object',
          maxProperties: MAX_ENTRIES,
          propertyNames: { maxLength: 100 },
          additionalProperties: { type: 'number', minimum: 0, maximum: 600_000 },
        },
        services: {
          type: 'object',
          maxProperties: MAX_ENTRIES,
          propertyNames: { maxLength: 100 },
          additionalProperties: { type: 'integer', minimum: 0, maximum: 1_000_000 },
        },
        load: { type: 'integer', minimum: 0, maximum: 100_000_000 },
        ...liveStatusProperties,
      },
      required: ['address'],
    },
    response: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
    handler: async ({ principal, body }) => {
      await reportRouterStatus(ctx.db, principal!.id, body.address as string)
      // Routers of an older version report only their address: they take part in no path.
      // The live part rides in the topology, so RouterPresence shares it with other replicas.
      const live = liveFromStatus(body)
      const topology: TopologyReport | undefined =
        body.links === undefined
          ? undefined
          : {
              links: body.links as Record<string, number>,
              services: (body.services ?? {}) as Record<string, number>,
              load: (body.load ?? 0) as number,
              ...(live ? { live } : {}),
            }
      routing.report(principal!.id, body.address as string, topology)
      await presence.reported(principal!.id, body.address as string, topology)
      return { ok: true }
    },
  })

  liveRoutes(app, ctx, routing)

  addRoute(app, ctx, {
    method: 'GET',
    url: '/v1/router-links',
    access: 'admin',
    summary: 'Live routers, their links with measured RTT, and their routing tables',
    tags: ['routers'],
    response: {
      type: 'object',
      properties: {
        routers: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              links: { type: 'object', additionalProperties: { type: 'number' } },
              routes: {
                type: 'object',
                additionalProperties: { type: 'array', items: { type: 'string' } },
              },
            },
            required: ['id', 'links', 'routes'],
          },
        },
      },
      required: ['routers'],
    },
    handler: async () => ({
      routers: [...routing.links()].map(([id, links]) => ({
        id,
        links,
        routes: routing.lineFor(id).routes,
      })),
    }),
  })

  addRoute(app, ctx, {
    method: 'GET',
    url: '/v1/router/events',
    access: 'router',
    summary: 'NDJSON stream of revocations and lost permissions, pushed as they happen',
    tags,
    response: { type: 'string' },
    handler: async ({ principal, reply, req }) => {
      const since = sinceParam(req.query)
      // Listen first, read second: a change committed in between is in one or the other.
      const early: SequencedChange[] = []
      let live = (event: SequencedChange) => void early.push(event)
      const onChange = (event: SequencedChange) => live(event)
      ctx.events.on('change', onChange)
      let revoked: string[]
      let missed: SequencedChange[] = []
      const seq = ctx.feed.seq
      try {
        revoked = await activeRevocations(ctx.db)
        if (since !== undefined && since < seq) missed = await ctx.feed.since(since, seq)
      } catch (err) {
        ctx.events.off('change', onChange)
        throw err
      }
      reply.hijack()
      const res = reply.raw
      res.writeHead(200, { 'content-type': 'application/x-ndjson', 'cache-control': 'no-store' })
      const send = (line: object) => res.write(`${JSON.stringify(line)}\n`)
      send({
        type: 'hello',
        routerId: principal!.id,
        revoked,
        grantKey: ctx.signingKey.publicJwk,
        ...(ctx.knock ? { knock: ctx.knock.keys() } : {}),
        seq,
      })
      // A new knock key reaches the router at once (it accepts the previous one meanwhile).
      const onKnock = (keys: string[]) => send({ type: 'knock', keys })
      ctx.knock?.on('rotated', onKnock)
      // What a reconnecting router missed, then what came while we read, then the live feed.
      let sent = since ?? seq
      live = (event) => {
        if (event.seq <= sent) return
        sent = event.seq
        send({ type: 'change', ...event })
      }
      for (const event of [...missed, ...early]) live(event)
      const onRoutes = (routerId: string, line: RoutesLine) => {
        if (routerId === principal!.id) send(line)
      }
      routing.on('routes', onRoutes)
      routing.online(principal!.id)
      const heartbeat = setInterval(() => send({ type: 'heartbeat', at: Date.now() }), HEARTBEAT_MS)
      heartbeat.unref()
      ctx.log.info({ router: principal!.id }, 'router control channel open')
      streams.add(res)
      res.on('close', () => {
        streams.delete(res)
        clearInterval(heartbeat)
        ctx.events.off('change', onChange)
        routing.off('routes', onRoutes)
        ctx.knock?.off('rotated', onKnock)
        if (routing.offline(principal!.id))
          presence
            .gone(principal!.id)
            .catch((err: Error) =>
              ctx.log.warn({ err: err.message }, 'router presence not updated'),
            )
        ctx.log.info({ router: principal!.id }, 'router control channel closed')
      })
      return undefined
    },
  })
}

/** `?since=N`: the last change sequence number a reconnecting router saw. */
function sinceParam(query: unknown): number | undefined {
  const raw = (query as Record<string, unknown> | undefined)?.since
  if (typeof raw !== 'string' || !/^\d{1,15}$/.test(raw)) return undefined
  return Number(raw)
}
