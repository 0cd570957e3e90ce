import swagger from '@fastify/swagger'
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import type { ControllerContext } from '../context.js'
import type { ControllerMetrics } from '../metrics.js'
import { installErrorHandling } from './errors.js'
import { authorize } from './auth.js'
import { accessRoutes } from './routes/access.js'
import { currentRoutes } from './routes/current.js'
import { identityRoutes } from './routes/identities.js'
import { policyRoutes } from './routes/policies.js'
import { publicRoutes } from './routes/public.js'
import { routerControlRoutes } from './routes/router-control.js'
import { routerRoutes } from './routes/routers.js'
import { serviceRoutes } from './routes/services.js'
import { statusRoutes } from './routes/status.js'

/** TLS material of the controller's own listener. */
export interface ServerTls {
  certPem: string
  keyPem: string
  caPem: string
}

/**
 * The listener's TLS options: TLS 1.3 only; every client is asked for a certificate but those
 * without one are admitted, so that the CA bundle and enrollment stay reachable; every other
 * route refuses them (see auth.ts). Also what a renewed certificate is swapped in with.
 */
export function serverTlsOptions(tls: ServerTls) {
  return {
    cert: tls.certPem,
    key: tls.keyPem,
    ca: tls.caPem,
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.3',
  } as const
}

/** Largest request body accepted (a CSR is the biggest thing anyone sends). */
export const BODY_LIMIT = 64 * 1024

/**
 * Builds the controller's HTTPS API. TLS 1.3 only; the handshake asks every client for a
 * certificate but admits those without one, so that the CA bundle and enrollment stay reachable;
 * every other route refuses them (see auth.ts).
 */
export async function buildApi(
  ctx: ControllerContext,
  tls: ServerTls,
  metrics: ControllerMetrics,
): Promise<FastifyInstance> {
  const app = Fastify({
    https: serverTlsOptions(tls),
    // The cast keeps FastifyInstance's default logger type, which the route modules expect.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
    loggerInstance: ctx.log as FastifyBaseLogger,
    bodyLimit: BODY_LIMIT,
    requestTimeout: 30_000,
    connectionTimeout: 10_000,
    return503OnClosing: true,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  })
  installErrorHandling(app)
  await app.register(swagger, {
    openapi: {
      info: { title: 'zerohook controller', version: '1' },
      components: {},
    },
  })
  // Every answer names the live replicas, so clients learn where to fail over to.
  app.addHook('onSend', (_req, reply, payload, done) => {
    const urls = ctx.replicas.urls()
    if (urls.length > 0) void reply.header('zerohook-controllers', urls.join(','))
    done(null, payload)
  })
  app.addHook('onResponse', (req, reply, done) => {
    const route = req.routeOptions.url ?? 'unknown'
    metrics.requests.inc({ route, status: String(reply.statusCode) })
    metrics.latency.observe({ route }, reply.elapsedTime / 1000)
    if (route === '/v1/enroll')
      metrics.enrollments.inc({
        result: reply.statusCode === 201 ? 'ok' : String(reply.statusCode),
      })
    done()
  })
  publicRoutes(app, ctx)
  currentRoutes(app, ctx)
  identityRoutes(app, ctx)
  serviceRoutes(app, ctx)
  policyRoutes(app, ctx)
  routerRoutes(app, ctx)
  routerControlRoutes(app, ctx)
  statusRoutes(app, ctx)
  accessRoutes(app, ctx)
  app.get(
    '/v1/openapi.json',
    {
      schema: { hide: true },
      onRequest: async (req) => void (await authorize(ctx, req, 'principal')),
    },
    () => app.swagger(),
  )
  app.get(
    '/metrics',
    { schema: { hide: true }, onRequest: async (req) => void (await authorize(ctx, req, 'admin')) },
    async (_req, reply) =>
      reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()),
  )
  return app
}
