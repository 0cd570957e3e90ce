import type { IncomingMessage } from 'node:http'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { ZhError } from '../../errors.js'
import { refusal, type Answer } from './answer.js'
import { answersChallenges } from './challenge.js'
import { createReceiver, type ReceivedWebhook, type ReceiverOptions } from './receiver.js'

/** Options of {@link fastifyWebhooks}. */
export interface FastifyReceiverOptions extends ReceiverOptions {
  /** The route, under the plugin's prefix; default `/`. */
  readonly path?: string
  /**
   * Runs for each verified webhook. Its return value is sent (as Fastify sends any); when it
   * returns nothing and did not reply, the answer is 204. When it throws, the answer is 500 and
   * the id is released for the sender's retry.
   */
  readonly handler: (
    webhook: ReceivedWebhook,
    request: FastifyRequest,
    reply: FastifyReply,
  ) => unknown
}

/**
 * A Fastify plugin that adds one `POST` route receiving webhooks (and a `GET`, with its `HEAD`,
 * for schemes that answer a URL check, which refuses any other GET with 405). In its own (encapsulated)
 * context it replaces the body parsers with one that yields the raw Buffer under the size cap,
 * runs the guards in `onRequest` (before the body is read), answers the provider's handshake
 * or URL check without calling the handler, and answers refusals with the registry's status
 * and `{ "error": { "code", "message" } }`. Routes elsewhere are untouched.
 *
 * @example
 * ```ts
 * await app.register(fastifyWebhooks, {
 *   prefix: '/hooks', path: '/billing', scheme: 'standard', secret, replay,
 *   handler: async ({ id, body }) => { await billing.apply(id, body) },
 * })
 * ```
 */
export const fastifyWebhooks: FastifyPluginAsync<FastifyReceiverOptions> = (app, options) => {
  const receiver = createReceiver(options)
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('*', (request: FastifyRequest, payload: IncomingMessage) =>
    receiver.read(payload, request.headers['content-length']),
  )
  app.setErrorHandler((err, request, reply) => {
    const answer = refusal(receiver.codeFor(err, request.raw))
    if (!request.raw.complete) void reply.header('connection', 'close')
    return reply.code(answer.status).headers(answer.headers).send(answer.body)
  })
  const onRequest = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
    receiver.admit(request.raw)
    done()
  }
  const send = (reply: FastifyReply, answer: Answer) =>
    reply.code(answer.status).headers(answer.headers).send(answer.body)
  app.post(options.path ?? '/', {
    onRequest,
    handler: async (request, reply) => {
      let result: unknown
      const answer = await receiver.handle(request.raw, rawBody(request), async (webhook) => {
        result = await options.handler(webhook, request, reply)
      })
      if (answer) return send(reply, answer)
      if (reply.sent) return reply
      return result === undefined ? reply.code(204).send() : reply.send(result)
    },
  })
  // Dropbox and Okta check the URL with a GET, Intercom with a HEAD; any other is refused.
  if (answersChallenges(options.scheme)) {
    app.get(options.path ?? '/', {
      onRequest,
      handler: async (request, reply) => {
        const answer = await receiver.challenge(request.raw, Buffer.alloc(0))
        if (!answer) throw new ZhError('ZH_WEBHOOK_METHOD_NOT_ALLOWED')
        return send(reply, answer)
      },
    })
  }
  return Promise.resolve()
}

// The plugin's own parser leaves the raw Buffer (or nothing, for an empty body). Anything else
// means a hook of the application replaced it: verifying that would verify something else.
function rawBody(request: FastifyRequest): Buffer {
  if (request.body === undefined || request.body === null) return Buffer.alloc(0)
  if (Buffer.isBuffer(request.body)) return request.body
  throw new ZhError('ZH_WEBHOOK_BODY_NOT_RAW', 'a hook replaced the raw body')
}
