import type { IncomingMessage } from 'node:http'
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify'
import { refusal } from './answer.js'
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
 * A Fastify plugin that adds one `POST` route receiving webhooks. In its own (encapsulated)
 * context it replaces the body parsers with one that yields the raw Buffer under the size cap,
 * runs the guards in `onRequest` (before the body is read) and answers refusals with the
 * registry's status and `{ "error": { "code", "message" } }`. Routes elsewhere are untouched.
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
  app.post(options.path ?? '/', {
    onRequest: (request, _reply, done) => {
      receiver.admit(request.raw)
      done()
    },
    handler: async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0)
      let result: unknown
      await receiver.handle(request.raw, raw, async (webhook) => {
        result = await options.handler(webhook, request, reply)
      })
      if (reply.sent) return reply
      return result === undefined ? reply.code(204).send() : reply.send(result)
    },
  })
  return Promise.resolve()
}
