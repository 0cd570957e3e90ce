import type { IncomingMessage, ServerResponse } from 'node:http'
import { ZhError } from '../../errors.js'
import { refusal, writeAnswer } from './answer.js'
import { createReceiver, type ReceivedWebhook, type ReceiverOptions } from './receiver.js'

/** Options of {@link webhookMiddleware}. */
export interface ExpressReceiverOptions<Req, Res> extends ReceiverOptions {
  /**
   * Runs for each verified webhook. It may answer through `res`; when it does not, the answer
   * is 204. When it throws, the answer is 500 and the id is released for the sender's retry.
   */
  readonly handler: (webhook: ReceivedWebhook, req: Req, res: Res) => unknown
}

/**
 * Express / Connect middleware that receives webhooks. Mount it on the route *before* any
 * body parser (`express.json()` would consume the raw bytes, answered 500
 * ZH_WEBHOOK_BODY_NOT_RAW); a Buffer left in `req.body` by `express.raw()` is used as is, still
 * under the size cap. The provider's handshake or URL check is answered here and never reaches
 * the handler; Dropbox and Okta check with GET, so mount it with `app.all` for them.
 *
 * @example
 * ```ts
 * app.post('/hooks/github', webhookMiddleware<Request, Response>({
 *   scheme: 'github', secret: process.env.GITHUB_WEBHOOK_SECRET!, replay,
 *   handler: async (webhook, req, res) => { await handle(webhook.body); res.json({ ok: true }) },
 * }))
 * ```
 */
export function webhookMiddleware<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(
  options: ExpressReceiverOptions<Req, Res>,
): (req: Req, res: Res, next: (err?: unknown) => void) => void {
  const receiver = createReceiver(options)
  const rawOf = (req: Req & { body?: unknown }): Promise<Buffer> => {
    // express.raw() ran: its Buffer is the raw body; verification enforces the size cap on it.
    if (Buffer.isBuffer(req.body)) return Promise.resolve(req.body)
    if (req.readableEnded) {
      return Promise.reject(new ZhError('ZH_WEBHOOK_BODY_NOT_RAW', 'a body parser ran first'))
    }
    return receiver.read(req, req.headers['content-length'])
  }
  const serve = async (req: Req, res: Res): Promise<void> => {
    try {
      receiver.admit(req)
      const raw = await rawOf(req)
      const answer = await receiver.handle(req, raw, (webhook) =>
        options.handler(webhook, req, res),
      )
      if (answer) writeAnswer(req, res, answer)
      else if (!res.headersSent) res.writeHead(204).end()
    } catch (err) {
      writeAnswer(req, res, refusal(receiver.codeFor(err, req)))
    }
  }
  return (req, res) => void serve(req, res)
}
