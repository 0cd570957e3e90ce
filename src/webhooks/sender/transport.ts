import { Agent, request, type Dispatcher } from 'undici'
import { ZhError, isZhError } from '../../errors.js'
import { createSsrfGuard, type SsrfGuard } from '../guards/ssrf.js'
import type { Transport } from './types.js'

/** Options of {@link createHttpTransport}. */
export interface HttpTransportOptions {
  /**
   * An undici dispatcher to send through (the overlay's, a proxy's). Without one, the transport
   * makes its own Agent, guarded by `guard`.
   */
  readonly dispatcher?: Dispatcher
  /** The SSRF guard of the transport's own Agent; default `createSsrfGuard()`; false for none. */
  readonly guard?: SsrfGuard | false
  /** Most response bytes read (then discarded); default 64 KiB. */
  readonly maxResponseBytes?: number
  /** Connect, headers and body timeouts of the transport's own Agent; default 15 s. */
  readonly timeoutMs?: number
  /** CA certificates (PEM) the own Agent trusts instead of the system's, for private PKI. */
  readonly ca?: string | readonly string[]
}

/**
 * Read per request by undici's redirect interceptor: a `dispatcher` composed with it (a proxy's,
 * an app's shared one) would otherwise follow a 3xx and re-POST the signed body wherever the
 * receiver points, a private address included (the guard is the dispatcher's business then).
 */
const NO_REDIRECTS = { maxRedirections: 0 }

/** A transport that owns resources: close it when done. */
export interface HttpTransport extends Transport {
  close(): Promise<void>
}

/**
 * The default transport: one POST with undici, redirects never followed (a 3xx is a failure),
 * not even through a given dispatcher that would follow them; the response body read up to a
 * cap and discarded. Safe by default: its own Agent connects only to addresses the SSRF guard
 * passed, HTTPS only. Pass a `dispatcher` to send through the overlay instead.
 *
 * @example
 * ```ts
 * const transport = createHttpTransport({ guard: createSsrfGuard({ allow: ['10.1.0.0/16'] }) })
 * const sender = createSender({ store: 'outbox.db', signing: { secret }, transport })
 * ```
 */
export function createHttpTransport(options: HttpTransportOptions = {}): HttpTransport {
  const timeout = options.timeoutMs ?? 15_000
  const maxResponseBytes = options.maxResponseBytes ?? 64 * 1024
  if (options.dispatcher && options.guard) {
    throw new ZhError('ZH_SENDER_OPTIONS_INVALID', 'pass a dispatcher or a guard, not both')
  }
  const guard = options.guard ?? (options.dispatcher ? false : createSsrfGuard())
  const tlsOptions = { timeout, ...(options.ca ? { ca: [options.ca].flat() } : {}) }
  const own = options.dispatcher
    ? undefined
    : new Agent({
        headersTimeout: timeout,
        bodyTimeout: timeout,
        connect: guard ? guard.connector(tlsOptions) : tlsOptions,
      })
  const dispatcher = options.dispatcher ?? own!

  const send: Transport = async ({ url, headers, body, signal }) => {
    try {
      const res = await request(url, {
        method: 'POST',
        headers,
        body,
        dispatcher,
        signal,
        ...NO_REDIRECTS,
      })
      await res.body.dump({ limit: maxResponseBytes }).catch(() => undefined)
      return { status: res.statusCode, headers: res.headers }
    } catch (err) {
      if (isZhError(err) || signal?.aborted) throw err
      throw new ZhError('ZH_SENDER_CONNECT_FAILED', undefined, { cause: err })
    }
  }
  return Object.assign(send, { close: () => own?.close() ?? Promise.resolve() })
}
