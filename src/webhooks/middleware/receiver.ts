import type { IncomingMessage } from 'node:http'
import type { Readable } from 'node:stream'
import { ZhError, isZhError, type ZhCode } from '../../errors.js'
import type { InboundGuard } from '../guards/inbound.js'
import type { ReplayStore } from '../replay/store.js'
import { asList } from '../keys.js'
import type { ReplayOptions, SchemeName, VerifyOptions } from '../types.js'
import { DEFAULT_MAX_BODY_BYTES, verifyWebhook } from '../verify.js'
import { readRawBody } from './body.js'
import { publicCode, type Answer } from './answer.js'
import { mustHaveSecret, queryOf, replyToChallenge, secretsWithLearned } from './challenge.js'
import type { LearnedSecretStore } from './learned-secret.js'

/** What every receiver middleware is configured with: how to verify, and who may call. */
export interface ReceiverOptions extends Omit<
  VerifyOptions,
  'headers' | 'body' | 'url' | 'method' | 'now' | 'replay'
> {
  /** Where accepted ids are remembered; a repeat is answered 409. Strongly recommended. */
  readonly replay?: ReplayStore | ReplayOptions
  /** The public URL the sender called (Twilio signs it): fixed, or computed per request. */
  readonly url?: string | ((req: IncomingMessage) => string)
  /** The clock, for tests: a Date or Unix seconds. */
  readonly now?: () => Date | number
  /** Checks on the caller (IP allow-list, bearer token, client certificate), before the body. */
  readonly guards?: readonly InboundGuard[]
  /** Where refusals (code only) and handler failures are logged; a pino logger fits. */
  readonly log?: ReceiverLog
  /**
   * Where to keep the secret a provider hands over in its handshake (Asana), trust on first
   * use: `fileLearnedSecret(path)`. Without it such a handshake is refused
   * (ZH_WEBHOOK_SECRET_NOT_KEPT). Webhooks verify with `secret(s)` and the learned secret.
   */
  readonly learnedSecret?: LearnedSecretStore
}

/** The part of a pino logger the receiver uses. */
export interface ReceiverLog {
  info(obj: object, msg: string): void
  error(obj: object, msg: string): void
}

/** A verified webhook, as the handler receives it. */
export interface ReceivedWebhook {
  readonly id: string
  /** The signed Unix seconds, or null when the scheme signs no time. */
  readonly timestamp: number | null
  readonly scheme: SchemeName
  /** Parsed JSON when the content type is JSON (`application/json`, `...+json`), else the raw bytes. */
  readonly body: unknown
  /** The bytes exactly as received and verified. */
  readonly raw: Buffer
}

/** The framework-neutral steps every adapter runs, in order. */
export interface Receiver {
  /** Runs the guards; throws their refusal. */
  admit(req: IncomingMessage): void
  /** Reads the raw body with the size cap. */
  read(stream: Readable, contentLength: string | undefined): Promise<Buffer>
  /**
   * Answers a provider's handshake or URL check, resolving the answer to send (the handler does
   * not run); otherwise verifies, parses and runs `invoke`, resolving null. On the handler's
   * failure the ids are forgotten so a retry is accepted.
   */
  handle(
    req: IncomingMessage,
    raw: Buffer,
    invoke: (webhook: ReceivedWebhook) => unknown,
  ): Promise<Answer | null>
  /** Only the challenge step: its answer, or null when the request is not a challenge. */
  challenge(req: IncomingMessage, raw: Buffer): Promise<Answer | null>
  /** The code to answer for an error, logged with its detail. */
  codeFor(err: unknown, req: IncomingMessage): ZhCode
}

const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i

/** Builds the steps shared by the Express, Fastify and node:http receivers. */
export function createReceiver(options: ReceiverOptions): Receiver {
  const { guards = [], log, url, now, learnedSecret, ...verify } = options
  const maxBodyBytes = verify.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  const store = options.replay && 'store' in options.replay ? options.replay.store : options.replay
  // Ids whose handler is still running here: a repeat meanwhile is "in progress", not "done",
  // so the sender retries later instead of taking it as delivered.
  const running = new Set<string>()

  const release = async (keys: readonly string[], id: string): Promise<void> => {
    try {
      await Promise.all(keys.map((key) => store!.forget(key)))
    } catch (err) {
      log?.error({ err, id }, 'webhook id could not be released; a retry will be refused')
    }
  }

  // What verifying this request takes: the secrets (with the learned one) and the request's parts.
  const requestOptions = async (req: IncomingMessage, raw: Buffer) => {
    const configured = [...asList(verify.secret), ...(verify.secrets ?? [])]
    const secrets = await secretsWithLearned(configured, learnedSecret)
    return {
      ...verify,
      secret: undefined,
      secrets,
      headers: req.headersDistinct ?? req.headers,
      body: raw,
      method: req.method,
      url: typeof url === 'function' ? url(req) : url,
      now: now?.(),
    }
  }
  const challenge = async (
    options: Awaited<ReturnType<typeof requestOptions>>,
    req: IncomingMessage,
  ) => {
    const reply = await replyToChallenge({ ...options, query: queryOf(req.url) }, learnedSecret)
    if (reply?.learnedSecret) {
      log?.info({ scheme: verify.scheme, where: learnedSecret?.where }, 'webhook secret learned')
    }
    return reply
  }

  return {
    admit(req) {
      for (const guard of guards) guard(req)
    },
    read: (stream, contentLength) => readRawBody(stream, contentLength, maxBodyBytes),
    async challenge(req, raw) {
      return challenge(await requestOptions(req, raw), req)
    },
    async handle(req, raw, invoke) {
      const options = await requestOptions(req, raw)
      const answer = await challenge(options, req)
      if (answer) return answer
      mustHaveSecret(options.secrets, asList(verify.publicKey).length, learnedSecret)
      const verified = await verifyWebhook(options).catch((err: unknown) => {
        if (isZhError(err, 'ZH_WEBHOOK_REPLAYED') && running.has(err.detail ?? '')) {
          throw new ZhError('ZH_WEBHOOK_IN_PROGRESS', err.detail)
        }
        throw err
      })
      const { id, timestamp, scheme, replayKeys } = verified
      let body: unknown = raw
      if (JSON_TYPE.test(req.headers['content-type'] ?? '')) {
        try {
          body = JSON.parse(raw.toString('utf8'))
        } catch {
          await release(replayKeys, id)
          throw new ZhError('ZH_WEBHOOK_BODY_INVALID', 'the content type is JSON, the body is not')
        }
      }
      running.add(id)
      try {
        await invoke({ id, timestamp, scheme, body, raw })
      } catch (cause) {
        await release(replayKeys, id)
        throw new ZhError('ZH_WEBHOOK_HANDLER_FAILED', id, { cause })
      } finally {
        running.delete(id)
      }
      return null
    },
    codeFor(err, req) {
      const code = publicCode(err)
      const where = { code, method: req.method, url: req.url }
      if (code === 'ZH_INTERNAL' || code === 'ZH_WEBHOOK_HANDLER_FAILED') {
        log?.error({ ...where, err }, 'webhook failed')
      } else {
        log?.info({ ...where, detail: isZhError(err) ? err.detail : undefined }, 'webhook refused')
      }
      return code
    },
  }
}
