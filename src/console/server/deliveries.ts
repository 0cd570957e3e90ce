import { stat } from 'node:fs/promises'
import { ZhError } from '../../errors.js'
import { createSqliteOutbox } from '../../webhooks/sender/outbox-sqlite.js'
import type { MessageState, OutboxMessage, OutboxStore } from '../../webhooks/sender/types.js'
import { logEndpoint } from '../../webhooks/sender/worker.js'

const STATES: ReadonlySet<string> = new Set<MessageState>([
  'pending',
  'in-flight',
  'delivered',
  'failed',
  'disabled',
])
const REPLAY = /^\/api\/deliveries\/([^/]+)\/replay$/

/** The Deliveries routes of the console, over a durable sender's outbox file. */
export interface Deliveries {
  /** Answers a request for `/api/deliveries...`, or returns undefined when it is not one. */
  route(method: string | undefined, url: URL): Promise<unknown> | undefined
  close(): Promise<void>
}

/**
 * Opens a sender's SQLite outbox (it must exist) for the console, beside the sender that
 * works on it: `GET /api/deliveries?state=&endpoint=&limit=&before=` lists messages newest
 * first with their attempts, `POST /api/deliveries/:id/replay` puts a failed or disabled one
 * back to pending, which the running sender then delivers. Bodies are not shown, and
 * endpoints only by origin and path: a query may hold a token.
 *
 * @example
 * const deliveries = await openDeliveries('outbox.db')
 * await deliveries.route('POST', new URL('http://console/api/deliveries/m1/replay'))
 */
export async function openDeliveries(path: string): Promise<Deliveries> {
  const file = await stat(path).catch(() => undefined)
  if (!file?.isFile()) throw new ZhError('ZH_FILE_INVALID', `no outbox at ${path}`)
  let store: OutboxStore
  try {
    store = createSqliteOutbox({ database: path })
  } catch (cause) {
    throw new ZhError('ZH_FILE_INVALID', `${path} is not a sender outbox`, { cause })
  }

  const list = async (query: URLSearchParams) => {
    const state = query.get('state') || undefined
    if (state !== undefined && !STATES.has(state))
      throw new ZhError('ZH_BAD_REQUEST', `state must be one of ${[...STATES].join(', ')}`)
    const limit = query.get('limit') || undefined
    if (limit !== undefined && !/^\d{1,4}$/.test(limit))
      throw new ZhError('ZH_BAD_REQUEST', 'limit must be a number from 1 to 1000')
    const messages = await store.list({
      state: state as MessageState | undefined,
      endpoint: query.get('endpoint') || undefined,
      limit: limit === undefined ? undefined : Number(limit),
      before: query.get('before') || undefined,
    })
    return { messages: await Promise.all(messages.map(withAttempts)) }
  }

  const withAttempts = async ({ body, endpoint, ...m }: OutboxMessage) => ({
    ...m,
    endpoint: logEndpoint(endpoint),
    bodyBytes: body.byteLength,
    attempts: (await store.attempts(m.id)).map(({ attempt, at, status, error, latencyMs }) => ({
      attempt,
      at,
      status,
      error,
      latencyMs,
    })),
  })

  return {
    route(method, url) {
      if (url.pathname === '/api/deliveries' && method === 'GET') return list(url.searchParams)
      const replay = REPLAY.exec(url.pathname)
      if (!replay || method !== 'POST') return undefined
      let id: string
      try {
        id = decodeURIComponent(replay[1]!)
      } catch {
        return Promise.reject(new ZhError('ZH_BAD_REQUEST', 'the message id is not valid'))
      }
      return store.replay(id, Date.now()).then((replayed) => ({ replayed }))
    },
    close: () => store.close(),
  }
}
