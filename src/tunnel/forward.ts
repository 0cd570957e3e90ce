import http from 'node:http'
import { Transform, pipeline } from 'node:stream'
import { ZhError, isZhError } from '../errors.js'
import { downstreamResponseHeaders } from './headers.js'
import type { TunnelTarget } from './target.js'

/** How one request is forwarded to the app. */
export interface ForwardOptions {
  target: TunnelTarget
  agent: http.Agent
  /** Largest request body streamed to the app; past it the request is cut with 413. */
  maxBodyBytes: number
  /** Longest silence from the app (no response bytes) before a 504, ms. */
  timeoutMs: number
}

/**
 * Sends one request to the app and streams the answer back, both ways with backpressure. The
 * request body is `body` when the tunnel already read it (verified webhooks), else the caller's
 * stream, counted against the cap as it flows. Resolves once the caller's response is done (or
 * cut) with the app's status, also when the caller left before the app answered a request the
 * tunnel had read whole; rejects with a ZhError *before* any answer byte was written
 * (ZH_BODY_TOO_LARGE, ZH_TUNNEL_UPSTREAM_UNAVAILABLE, ZH_TUNNEL_UPSTREAM_TIMEOUT), so the
 * caller can still answer with a code.
 *
 * @example
 * ```ts
 * const status = await forwardRequest(req, res, headers, undefined, {
 *   target: parseTarget('http://127.0.0.1:8080'), agent, maxBodyBytes: 1 << 20, timeoutMs: 60_000,
 * })
 * ```
 */
export function forwardRequest(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  headers: http.OutgoingHttpHeaders,
  body: Buffer | undefined,
  opts: ForwardOptions,
): Promise<number> {
  const declared = Number(req.headers['content-length'] ?? 0)
  if (body === undefined && declared > opts.maxBodyBytes)
    return Promise.reject(new ZhError('ZH_BODY_TOO_LARGE', `over ${opts.maxBodyBytes} bytes`))
  if (body !== undefined) {
    delete headers['transfer-encoding']
    headers['content-length'] = String(body.length)
  }
  return new Promise((resolve, reject) => {
    let settled = false
    let answered = false
    const fail = (err: ZhError) => {
      if (settled) return
      settled = true
      upstream.destroy()
      reject(err)
    }
    const upstream = http.request({
      host: opts.target.host,
      port: opts.target.port,
      method: req.method,
      path: req.url,
      headers,
      agent: opts.agent,
    })
    upstream.setTimeout(opts.timeoutMs, () => {
      if (!answered) fail(new ZhError('ZH_TUNNEL_UPSTREAM_TIMEOUT', `${opts.timeoutMs} ms`))
      else upstream.destroy()
    })
    upstream.on('error', (err) => {
      if (!answered)
        fail(
          isZhError(err)
            ? err
            : new ZhError('ZH_TUNNEL_UPSTREAM_UNAVAILABLE', (err as NodeJS.ErrnoException).code),
        )
    })
    // The caller went away: stop the app's work on its behalf, unless the whole request is
    // already at the app (a verified webhook): then it may be processing it, and only its
    // answer tells whether a retry may pass the replay check, so the answer is awaited.
    res.once('close', () => {
      if (!res.writableFinished && body === undefined) upstream.destroy()
    })
    upstream.once('response', (answer) => {
      settled = true
      answered = true
      res.writeHead(answer.statusCode ?? 502, downstreamResponseHeaders(answer.headers))
      pipeline(answer, res, () => resolve(answer.statusCode ?? 502))
    })
    if (body !== undefined) {
      upstream.end(body)
    } else {
      pipeline(req, capped(opts.maxBodyBytes), upstream, (err) => {
        if (isZhError(err)) fail(err)
      })
    }
  })
}

/** Passes bytes through until `max`, then fails with ZH_BODY_TOO_LARGE. */
function capped(max: number): Transform {
  let seen = 0
  return new Transform({
    transform(chunk: Buffer, _enc, next) {
      seen += chunk.length
      if (seen > max) next(new ZhError('ZH_BODY_TOO_LARGE', `over ${max} bytes`))
      else next(null, chunk)
    },
  })
}
