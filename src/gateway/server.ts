import { randomBytes } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Dispatcher } from 'undici'
import { ensurePrivateDir } from '../private-files.js'
import { ZhError, isZhError, type ZhCode } from '../errors.js'
import { publicCode, refusal, writeAnswer, type Answer } from '../webhooks/middleware/answer.js'
import { answersChallenges } from '../webhooks/middleware/challenge.js'
import { fileLearnedSecret } from '../webhooks/middleware/learned-secret.js'
import { createSqliteReplayStore } from '../webhooks/replay/sqlite.js'
import { startGatewayAdmin } from './admin.js'
import type { GatewayConfig, GatewayRoute } from './config.js'
import { forwardHeaders, ID_HEADER } from './forward-headers.js'
import { createForwarder, type ForwardLog, type ForwardOutcome } from './forwarder.js'
import { routePipeline, type AdmittedWebhook } from './pipeline.js'
import { openForwardQueue } from './queue.js'

/** Options of {@link startGateway}. */
export interface GatewayOptions {
  readonly config: GatewayConfig
  /** Dials the target services: the gateway identity's `zh.dispatcher()`. */
  readonly dispatcher: Dispatcher
  readonly log: ForwardLog
}

/** A running gateway. */
export interface RunningGateway {
  readonly address: string
  readonly port: number
  /** The loopback admin API's URL, when the configuration has an `admin` section. */
  readonly adminUrl: string | undefined
  /** Stops listening, cuts attempts under way (they stay queued) and closes the databases. */
  close(): Promise<void>
}

/**
 * Starts the public ingress: an HTTPS listener (TLS 1.2+, optional client certificates) whose
 * routes admit only webhooks that pass their checks (see `routePipeline`), commit them to the
 * queue under `state`, and forward them over the overlay to `http://<service><path>`.
 *
 * @example
 * ```ts
 * const zh = await connect(await loadIdentity('gateway.json'))
 * const gw = await startGateway({ config: loadGatewayConfig('gateway.yaml'), dispatcher: zh.dispatcher(), log })
 * ```
 */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const { config, log } = options
  ensurePrivateDir(config.state)
  const replay = createSqliteReplayStore({ database: join(config.state, 'replay.db') })
  const queue = openForwardQueue(join(config.state, 'outbox.db'))
  const forget = async (keys: readonly string[]) => {
    await Promise.all(keys.map((key) => replay.forget(key)))
  }
  const forwarder = createForwarder({
    queue,
    dispatcher: options.dispatcher,
    config: config.forward,
    log,
    forget,
  })
  const clientCertificates = config.tls.ca !== undefined
  const routes = new Map(
    config.routes.map((route) => {
      // A route whose provider checks the URL takes GET (HEAD) for it, and may learn a secret.
      const challenges = answersChallenges(route.scheme)
      const learned = challenges
        ? fileLearnedSecret(learnedSecretFile(config.state, route))
        : undefined
      const admit = routePipeline(route, {
        maxBodyBytes: config.maxBodyBytes,
        replay,
        clientCertificates,
        learned,
      })
      return [route.path, { route, admit, challenges }]
    }),
  )

  // Stores the verified webhook, forwards it, and answers what the target answered (or 202).
  async function forward(
    route: GatewayRoute,
    req: IncomingMessage,
    { body, verified }: AdmittedWebhook,
    id: string,
  ): Promise<Answer> {
    let outcome: ForwardOutcome
    try {
      outcome = await forwarder.accept({
        id,
        route: route.path,
        url: `http://${route.target.service}${route.target.path}`,
        headers: forwardHeaders(req.headers, route.forwardHeaders, { scheme: route.scheme, id }),
        body,
        replayKeys: verified.replayKeys,
      })
    } catch (err) {
      // Not stored, so not accepted: let the provider's retry pass the replay check.
      await forget(verified.replayKeys).catch(() => undefined)
      // A full queue is the sender's to hear about (503, retry later), not a fault of ours.
      if (isZhError(err, 'ZH_OUTBOX_FULL')) throw err
      throw new ZhError('ZH_GATEWAY_QUEUE_FAILED', undefined, { cause: err })
    }
    return toAnswer(outcome, id)
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = Date.now()
    const path = (req.url ?? '').split('?')[0]!
    const entry = routes.get(path)
    let answer: Answer
    let code: ZhCode | undefined
    let id: string | undefined
    let challenge = false
    try {
      if (!entry) throw new ZhError('ZH_GATEWAY_ROUTE_NOT_FOUND')
      // Dropbox and Okta check the URL with a GET, Intercom with a HEAD: only for such a check.
      const check = (req.method === 'GET' || req.method === 'HEAD') && entry.challenges
      if (req.method !== 'POST' && !check) throw new ZhError('ZH_GATEWAY_METHOD_NOT_ALLOWED')
      const admitted = await entry.admit(req)
      if (admitted.kind === 'challenge') {
        // Answered here, never forwarded: the service behind sees only verified webhooks.
        challenge = true
        answer = admitted.reply
        if (admitted.reply.learnedSecret) {
          const file = learnedSecretFile(config.state, entry.route)
          log.warn(
            { route: entry.route.path, file },
            'gateway learned a webhook secret (trust on first use)',
          )
        }
      } else {
        id = `gw_${randomBytes(18).toString('base64url')}`
        answer = await forward(entry.route, req, admitted, id)
      }
    } catch (err) {
      code = publicCode(err)
      if (isZhError(err, 'ZH_GATEWAY_QUEUE_FAILED') || isZhError(err, 'ZH_OUTBOX_FULL'))
        code = err.code
      if (code === 'ZH_INTERNAL' || code === 'ZH_GATEWAY_QUEUE_FAILED') {
        log.error({ route: entry?.route.path, err: describe(err) }, 'gateway request failed')
      }
      if (isZhError(err, 'ZH_WEBHOOK_SECRET_ALREADY_LEARNED')) {
        log.warn(
          { route: entry?.route.path, file: err.detail },
          'gateway refused a handshake: the route already holds a learned secret (remove the file to accept a new one)',
        )
      }
      answer = refusal(code)
    }
    writeAnswer(req, res, answer)
    log.info(
      {
        route: entry?.route.path ?? null,
        status: answer.status,
        code: code ?? null,
        id: id ?? null,
        ...(challenge ? { challenge: true } : {}),
        ms: Date.now() - started,
      },
      'gateway request',
    )
  }

  const server = https.createServer(
    {
      cert: config.tls.cert,
      key: config.tls.key,
      minVersion: 'TLSv1.2',
      // With a CA, certificates are asked for and checked per request (401 with a code)
      // rather than by cutting the handshake, which would give the caller no reason.
      ...(clientCertificates
        ? { ca: config.tls.ca, requestCert: true, rejectUnauthorized: false }
        : {}),
      headersTimeout: 10_000,
      requestTimeout: 30_000,
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        log.error({ err: describe(err) }, 'gateway handler crashed')
        if (!res.headersSent) writeAnswer(req, res, refusal('ZH_INTERNAL'))
      })
    },
  )
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(config.listen.port, config.listen.host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  forwarder.start()
  const admin = config.admin && (await startGatewayAdmin(config.admin, { queue, forwarder }))
  const bound = server.address() as AddressInfo
  return {
    address: bound.address,
    port: bound.port,
    adminUrl: admin?.url,
    async close() {
      await admin?.close()
      // Stop taking requests, then cut attempts under way: requests being answered get their
      // 202 (their webhook stays queued) instead of a cut connection the provider would retry
      // into a replay refusal. Connections still open after a grace period are closed.
      const closed = new Promise<void>((resolve) => server.close(() => resolve()))
      server.closeIdleConnections()
      await forwarder.close()
      let grace: NodeJS.Timeout | undefined
      await Promise.race([
        closed,
        new Promise<void>((resolve) => (grace = setTimeout(resolve, 5000))),
      ])
      clearTimeout(grace)
      server.closeAllConnections()
      queue.close()
      await replay.close()
    },
  }
}

/**
 * Where a route keeps the secret its provider handed over in a handshake (Asana):
 * `STATE/learned/<route path, URI-encoded>.secret`, mode 0600 in a 0700 folder.
 */
export function learnedSecretFile(state: string, route: Pick<GatewayRoute, 'path'>): string {
  return join(state, 'learned', `${encodeURIComponent(route.path)}.secret`)
}

function toAnswer(outcome: ForwardOutcome, id: string): Answer {
  const base = { 'cache-control': 'no-store', [ID_HEADER]: id }
  if (outcome.kind === 'queued') {
    return {
      status: 202,
      headers: { ...base, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify({ accepted: true, id }),
    }
  }
  const { answer } = outcome
  return {
    status: answer.status,
    headers: { ...base, 'content-type': answer.contentType ?? 'application/octet-stream' },
    body: answer.body.toString('utf8'),
  }
}

// For the log: the code and message, never a body or a secret.
function describe(err: unknown): object {
  if (isZhError(err))
    return {
      code: err.code,
      message: err.message,
      cause: String((err.cause as Error | undefined)?.message ?? ''),
    }
  return { message: err instanceof Error ? err.message : String(err) }
}
