import type { FastifyInstance } from 'fastify'
import type { ControllerContext } from '../../context.js'
import { enroll } from '../../ops/enroll.js'
import { addRoute } from '../route.js'
import { caBundle, enrollBody, enrollResult, networkInfo } from '../schemas.js'

/** The only routes a client without a certificate can reach: the CA bundle and enrollment. */
export function publicRoutes(app: FastifyInstance, ctx: ControllerContext): void {
  const tags = ['enrollment']
  addRoute(app, ctx, {
    method: 'GET',
    url: '/v1/ca',
    access: 'public',
    summary: 'The network CA bundle (check it against the fingerprint in your enrollment token)',
    tags,
    response: caBundle,
    handler: async () => ({ network: ctx.network, ca: ctx.ca.certPem }),
  })
  addRoute(app, ctx, {
    method: 'GET',
    url: '/v1/network',
    access: 'public',
    summary:
      'Network name, controller URL, CA fingerprint and the public key that signs tokens and grants',
    tags,
    response: networkInfo,
    handler: async () => ({
      network: ctx.network,
      controller: ctx.url,
      controllers: ctx.replicas.urls(),
      caFingerprint: ctx.caFingerprint,
      grantKey: ctx.signingKey.publicJwk,
    }),
  })
  addRoute(app, ctx, {
    method: 'POST',
    url: '/v1/enroll',
    access: 'public',
    summary: 'Redeem a one-time enrollment token and a CSR for a certificate',
    tags,
    body: enrollBody,
    response: enrollResult,
    status: 201,
    handler: ({ body }) => enroll(ctx, { token: body.token as string, csr: body.csr as string }),
  })
}
