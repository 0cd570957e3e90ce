import type { IncomingMessage } from 'node:http'
import { ZhError } from '../errors.js'
import { bearerToken, clientCertificate, ipAllowList } from '../webhooks/guards/inbound.js'
import { readRawBody } from '../webhooks/middleware/body.js'
import {
  mustHaveSecret,
  queryOf,
  replyToChallenge,
  secretsWithLearned,
  type ChallengeReply,
} from '../webhooks/middleware/challenge.js'
import type { LearnedSecretStore } from '../webhooks/middleware/learned-secret.js'
import type { ReplayStore } from '../webhooks/replay/store.js'
import type { VerifiedWebhook } from '../webhooks/types.js'
import { verifyWebhook } from '../webhooks/verify.js'
import type { GatewayRoute } from './config.js'

/** What crossed every check of a route: the original bytes and what the scheme verified. */
export interface AdmittedWebhook {
  readonly kind: 'webhook'
  readonly body: Buffer
  readonly verified: VerifiedWebhook
}

/** A provider's handshake or URL check, answered by the gateway: sent back, never forwarded. */
export interface AnsweredChallenge {
  readonly kind: 'challenge'
  readonly reply: ChallengeReply
}

/** Options of {@link routePipeline}. */
export interface PipelineOptions {
  readonly maxBodyBytes: number
  readonly replay: ReplayStore
  /** True when the listener asks for client certificates (tls.ca): every route requires one. */
  readonly clientCertificates: boolean
  /** Where this route keeps a secret its provider hands over in a handshake (Asana). */
  readonly learned?: LearnedSecretStore
}

/** The checks of one route, run on each request; throws a ZhError with the refusal's code. */
export type RoutePipeline = (req: IncomingMessage) => Promise<AdmittedWebhook | AnsweredChallenge>

/**
 * Builds a route's checks, in the order that spends the least on a stranger: the socket
 * address against the allow-list (403), the client certificate when mTLS is on (401/403), the
 * bearer token in constant time (401), then the body read within the cap before any hashing
 * (413). Then the provider's handshake or URL check is answered (verified first when the
 * provider signs it; a GET or HEAD that is not one is 405), or the scheme's signature, timestamp and
 * replay check runs (401/400/409), with the route's secrets and the one learned in a handshake.
 * Nothing that fails a check is forwarded, and no challenge is.
 *
 * @example
 * ```ts
 * const admit = routePipeline(route, { maxBodyBytes: 1 << 20, replay, clientCertificates: false })
 * const outcome = await admit(req) // { kind: 'webhook', body, verified } or { kind: 'challenge', reply }
 * ```
 */
export function routePipeline(route: GatewayRoute, options: PipelineOptions): RoutePipeline {
  const guards = [
    ...(route.allow ? [ipAllowList(route.allow)] : []),
    ...(options.clientCertificates ? [clientCertificate()] : []),
    ...(route.tokens ? [bearerToken(route.tokens)] : []),
  ]
  const replay = { store: options.replay, namespace: route.path }
  const { learned } = options
  return async (req) => {
    for (const guard of guards) guard(req)
    const length = req.headers['content-length']
    const body = await readRawBody(req, length, options.maxBodyBytes)
    const verify = {
      scheme: route.scheme,
      secrets: await secretsWithLearned(route.secrets, learned),
      ...(route.publicKeys.length > 0 ? { publicKey: route.publicKeys } : {}),
      headers: req.headers,
      body,
      method: req.method,
      url: route.url === undefined ? undefined : route.url + (req.url ?? '/'),
      options: route.options,
      maxBodyBytes: options.maxBodyBytes,
      ...(route.tolerance !== undefined ? { tolerance: route.tolerance } : {}),
    }
    const reply = await replyToChallenge({ ...verify, query: queryOf(req.url) }, learned)
    if (reply) return { kind: 'challenge', reply }
    if (req.method !== 'POST') throw new ZhError('ZH_GATEWAY_METHOD_NOT_ALLOWED')
    mustHaveSecret(verify.secrets, route.publicKeys.length, learned)
    const verified = await verifyWebhook({ ...verify, replay })
    return { kind: 'webhook', body, verified }
  }
}
