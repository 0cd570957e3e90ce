import type { IncomingMessage } from 'node:http'
import { bearerToken, clientCertificate, ipAllowList } from '../webhooks/guards/inbound.js'
import { readRawBody } from '../webhooks/middleware/body.js'
import type { ReplayStore } from '../webhooks/replay/store.js'
import type { VerifiedWebhook } from '../webhooks/types.js'
import { verifyWebhook } from '../webhooks/verify.js'
import type { GatewayRoute } from './config.js'

/** What crossed every check of a route: the original bytes and what the scheme verified. */
export interface AdmittedWebhook {
  readonly body: Buffer
  readonly verified: VerifiedWebhook
}

/** Options of {@link routePipeline}. */
export interface PipelineOptions {
  readonly maxBodyBytes: number
  readonly replay: ReplayStore
  /** True when the listener asks for client certificates (tls.ca): every route requires one. */
  readonly clientCertificates: boolean
}

/** The checks of one route, run on each request; throws a ZhError with the refusal's code. */
export type RoutePipeline = (req: IncomingMessage) => Promise<AdmittedWebhook>

/**
 * Builds a route's checks, in the order that spends the least on a stranger: the socket
 * address against the allow-list (403), the client certificate when mTLS is on (401/403), the
 * bearer token in constant time (401), then the body read within the cap before any hashing
 * (413), then the scheme's signature, timestamp and replay check (401/400/409). Nothing that
 * fails a check is forwarded.
 *
 * @example
 * ```ts
 * const admit = routePipeline(route, { maxBodyBytes: 1 << 20, replay, clientCertificates: false })
 * const { body, verified } = await admit(req)
 * ```
 */
export function routePipeline(route: GatewayRoute, options: PipelineOptions): RoutePipeline {
  const guards = [
    ...(route.allow ? [ipAllowList(route.allow)] : []),
    ...(options.clientCertificates ? [clientCertificate()] : []),
    ...(route.tokens ? [bearerToken(route.tokens)] : []),
  ]
  const replay = { store: options.replay, namespace: route.path }
  return async (req) => {
    for (const guard of guards) guard(req)
    const length = req.headers['content-length']
    const body = await readRawBody(req, length, options.maxBodyBytes)
    const verified = await verifyWebhook({
      scheme: route.scheme,
      secrets: route.secrets,
      ...(route.publicKeys.length > 0 ? { publicKey: route.publicKeys } : {}),
      headers: req.headers,
      body,
      replay,
      maxBodyBytes: options.maxBodyBytes,
      ...(route.tolerance !== undefined ? { tolerance: route.tolerance } : {}),
    })
    return { body, verified }
  }
}
