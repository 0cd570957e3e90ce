import { request, type Dispatcher } from 'undici'
import { isZhCode } from '../../errors.js'
import { signWebhook } from '../../webhooks/sign.js'

/** One webhook as it goes on the wire: the exact bytes and headers, so it can be replayed. */
export interface SignedWebhook {
  id: string
  body: Buffer
  headers: Record<string, string>
}

/** Signs a Standard Webhooks message `{ type, timestamp, data }` with `secret`. */
export function signedWebhook(
  secret: string,
  id: string,
  type: string,
  data: unknown,
): SignedWebhook {
  const now = new Date()
  const body = Buffer.from(JSON.stringify({ type, timestamp: now.toISOString(), data }))
  const headers = signWebhook({
    scheme: 'standard',
    secret,
    id,
    timestamp: Math.floor(now.getTime() / 1000),
    body,
  })
  return { id, body, headers: { 'content-type': 'application/json', ...headers } }
}

/** What the receiver answered: the status and, for a refusal, its ZH_* code. */
export interface Answer {
  status: number
  code: string | undefined
}

/** POSTs a webhook to `http://<service><path>` through an overlay dispatcher. */
export async function postWebhook(
  dispatcher: Dispatcher,
  url: string,
  webhook: SignedWebhook,
): Promise<Answer> {
  const res = await request(url, {
    method: 'POST',
    headers: webhook.headers,
    body: webhook.body,
    dispatcher,
  })
  let text = ''
  for await (const chunk of res.body as AsyncIterable<Buffer>) {
    if (text.length < 4096) text += chunk.toString('utf8')
  }
  let code: string | undefined
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown } }
    if (isZhCode(parsed.error?.code)) code = parsed.error.code
  } catch {
    // not a JSON answer: no code
  }
  return { status: res.statusCode, code }
}
