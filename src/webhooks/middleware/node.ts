import type { IncomingMessage, ServerResponse } from 'node:http'
import { refusal, writeAnswer } from './answer.js'
import { createReceiver, type ReceivedWebhook, type ReceiverOptions } from './receiver.js'

/** Options of {@link webhookHandler}. */
export interface NodeReceiverOptions extends ReceiverOptions {
  /**
   * Runs for each verified webhook. It may answer through `res`; when it does not, the answer
   * is 204. When it throws, the answer is 500 and the id is released for the sender's retry.
   */
  readonly handler: (webhook: ReceivedWebhook, req: IncomingMessage, res: ServerResponse) => unknown
}

/**
 * A `node:http` (or `node:https`) request listener that receives webhooks: guards, raw body
 * with a size cap, the provider's handshake or URL check (answered here, verified first when
 * signed, never handed to your handler), verification and replay check, then your handler.
 * Refusals are answered with the registry's status and `{ "error": { "code", "message" } }`.
 *
 * @example
 * ```ts
 * const replay = createSqliteReplayStore({ database: 'replay.db' })
 * http.createServer(webhookHandler({
 *   scheme: 'standard', secret: process.env.WEBHOOK_SECRET!, replay,
 *   handler: async ({ id, body }) => { await queue.push(id, body) },
 * })).listen(8080)
 * ```
 */
export function webhookHandler(
  options: NodeReceiverOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const receiver = createReceiver(options)
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      receiver.admit(req)
      const raw = await receiver.read(req, req.headers['content-length'])
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
