import { request } from 'undici'
import { ZhError } from '../../errors.js'
import { isLoopbackHost } from '../../tunnel/target.js'
import type { Deliveries } from './deliveries.js'

const PREFIX = '/api/gateway/deliveries'
const REPLAY = /^\/api\/gateway\/deliveries\/([A-Za-z0-9_-]{1,64})\/replay$/
const FILTERS = ['state', 'route', 'limit', 'before'] as const
const TIMEOUT_MS = 5000
const MAX_ANSWER_BYTES = 8 * 1024 * 1024

/** Where the gateway's admin API is, and its token. */
export interface GatewayAdminTarget {
  /** `http://127.0.0.1:PORT`: the URL the gateway logs as `admin`. */
  readonly url: string
  readonly token: string
}

/**
 * The Deliveries routes over a running gateway's queue, through its loopback admin API:
 * `GET /api/gateway/deliveries?state=&route=&limit=&before=` and `POST
 * /api/gateway/deliveries/:id/replay`. Only the filters are passed on; the token never leaves
 * this process. A gateway that does not answer, or refuses the token, is
 * ZH_CONSOLE_GATEWAY_UNAVAILABLE.
 *
 * @example
 * const gateway = gatewayDeliveries({ url: 'http://127.0.0.1:39121', token })
 * await gateway.route('GET', new URL('http://console/api/gateway/deliveries?state=failed'))
 */
export function gatewayDeliveries(target: GatewayAdminTarget): Deliveries {
  const base = adminBase(target.url)
  if (target.token.length < 32 || /\s/.test(target.token))
    throw new ZhError('ZH_CONSOLE_GATEWAY_INVALID', 'the admin token is 32+ characters')

  const call = async (method: 'GET' | 'POST', path: string): Promise<unknown> => {
    let res: Awaited<ReturnType<typeof request>>
    try {
      res = await request(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${target.token}`, accept: 'application/json' },
        signal: AbortSignal.timeout(TIMEOUT_MS),
      })
    } catch (cause) {
      throw new ZhError('ZH_CONSOLE_GATEWAY_UNAVAILABLE', (cause as Error).message, { cause })
    }
    const length = Number(res.headers['content-length'] ?? 0)
    if (length > MAX_ANSWER_BYTES) {
      res.body.destroy()
      throw new ZhError('ZH_CONSOLE_GATEWAY_UNAVAILABLE', 'the answer is too large')
    }
    const data = (await res.body.json().catch(() => null)) as {
      error?: { code?: string }
    } | null
    if (res.statusCode === 401 || res.statusCode >= 500 || data === null)
      throw new ZhError('ZH_CONSOLE_GATEWAY_UNAVAILABLE', data?.error?.code ?? `${res.statusCode}`)
    if (res.statusCode !== 200) throw new ZhError('ZH_BAD_REQUEST', data.error?.code)
    return data
  }

  return {
    route(method, url) {
      if (url.pathname === PREFIX && method === 'GET') {
        const query = new URLSearchParams()
        for (const name of FILTERS) {
          const value = url.searchParams.get(name)
          if (value) query.set(name, value)
        }
        return call('GET', `/v1/deliveries?${query.toString()}`)
      }
      const replay = REPLAY.exec(url.pathname)
      if (!replay || method !== 'POST') return undefined
      return call('POST', `/v1/deliveries/${replay[1]!}/replay`)
    },
    close: () => Promise.resolve(),
  }
}

// Plain HTTP carries the token: only to this machine.
function adminBase(raw: string): string {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ZhError('ZH_CONSOLE_GATEWAY_INVALID', 'not a URL')
  }
  const host = url.hostname.replace(/^\[|\]$/g, '')
  if (url.protocol !== 'http:' || !isLoopbackHost(host) || url.username || url.password)
    throw new ZhError('ZH_CONSOLE_GATEWAY_INVALID', raw)
  return url.origin
}
