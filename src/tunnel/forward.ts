import http from 'node:http'
import { Transform, pipeline } from 'node:stream'
import { type ZhCode, ZhError, isZhError } from '../errors.js'
import { downstreamResponseHeaders } from './headers.js'

/** How one request is forwarded upstream (the app of a tunnel host, the service of an intercept). */
export interface ForwardOptions {
  /** Where the agent connects: the app's address, or a service name for an overlay agent. */
  target: { host: string; port: number }
  /** Keep-alive: connections (TCP to the app, circuits to a service) are reused across requests. */
  agent: http.Agent
  /** Largest request body streamed upstream; past it the request is cut with 413. No cap when unset. */
  maxBodyBytes?: number
  /** Longest silence from upstream (no response bytes) before a 504, ms. No limit when unset. */
  timeoutMs?: number
  /** The code of a failure that is no ZhError (a refused or reset connection). */
  unreachable?: ZhCode
}

/**
 * Sends one request upstream (the app, or a service over an overlay agent) and streams the
 * answer back, both ways with backpressure. The request body is `body` when the tunnel already
 * read it (verified webhooks), else the caller's stream, counted against the cap as it flows.
 * Resolves once the caller's response is done (or cut) with the upstream status, also when the
 * caller left before upstream answered a request the tunnel had read whole; rejects with a
 * ZhError *before* any answer byte was written (ZH_BODY_TOO_LARGE, ZH_TUNNEL_UPSTREAM_TIMEOUT,
 * the `unreachable` code, or the overlay's own code when a dial was refused), so the caller can
 * still answer with a code.
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
  const max = opts.maxBodyBytes
  const declared = Number(req.headers['content-length'] ?? 0)
  if (body === undefined && max !== undefined && declared > max)
    return Promise.reject(new ZhError('ZH_BODY_TOO_LARGE', `over ${max} bytes`))
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
    const timeoutMs = opts.timeoutMs
    if (timeoutMs)
      upstream.setTimeout(timeoutMs, () => {
        if (!answered) fail(new ZhError('ZH_TUNNEL_UPSTREAM_TIMEOUT', `${timeoutMs} ms`))
        else upstream.destroy()
      })
    upstream.on('error', (err) => {
      if (!answered)
        fail(
          isZhError(err)
            ? err
            : new ZhError(
                opts.unreachable ?? 'ZH_TUNNEL_UPSTREAM_UNAVAILABLE',
                (err as NodeJS.ErrnoException).code,
              ),
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
      const status = answer.statusCode ?? 502
      // pipe(), not pipeline(): this is every request's path, and pipeline() makes and aborts an
      // AbortController (a DOMException with its stack) each time, a tenth of the tunnel's CPU.
      // What pipeline() would do is spelled out: an error on either side cuts the other.
      let done = false
      const finish = () => {
        if (done) return
        done = true
        resolve(status)
      }
      // The caller already left (a webhook the tunnel read whole): its answer was awaited.
      if (res.destroyed) {
        answer.destroy()
        return finish()
      }
      answer.once('error', () => res.destroy())
      res.once('finish', finish)
      res.once('close', () => {
        if (!answer.readableEnded) answer.destroy()
        finish()
      })
      res.writeHead(status, downstreamResponseHeaders(answer.headers))
      answer.pipe(res)
    })
    if (body !== undefined) {
      upstream.end(body)
    } else if (max === undefined || req.headers['content-length'] !== undefined) {
      // A declared length was held against the cap above, and Node's parser reads no byte past
      // it (nor takes it together with chunked): only a chunked body needs counting. A caller
      // that leaves mid-body closes `res`, which destroys `upstream` above.
      req.pipe(upstream)
    } else {
      pipeline(req, capped(max), upstream, (err) => {
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
