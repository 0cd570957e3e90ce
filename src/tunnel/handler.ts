import http from 'node:http'
import { type ZhCode, ZhError, isZhError } from '../errors.js'
import { publicCode, refusal, writeAnswer } from '../webhooks/middleware/answer.js'
import { forwardRequest } from './forward.js'
import { type TunnelCaller, upstreamRequestHeaders } from './headers.js'
import { createInFlight } from './in-flight.js'
import type { TunnelTarget } from './target.js'
import { type PassedWebhook, type TunnelVerifyOptions, createVerifyGate } from './verify-gate.js'

/** Default request body cap (1 MiB). */
export const DEFAULT_TUNNEL_MAX_BODY = 1024 * 1024
/** Default longest silence from the app before a 504 (60 s: webhook handlers can be slow). */
export const DEFAULT_UPSTREAM_TIMEOUT_MS = 60_000

/** The part of a pino logger the tunnel uses. */
export interface TunnelLog {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

/** Options of {@link createTunnelHandler}. */
export interface TunnelHandlerOptions {
  target: TunnelTarget
  /** The proven caller of a request; undefined refuses it (it did not come over the overlay). */
  callerOf: (req: http.IncomingMessage) => TunnelCaller | undefined
  /** Verify webhooks before the app sees a byte. */
  verify?: TunnelVerifyOptions
  maxBodyBytes?: number
  upstreamTimeoutMs?: number
  log?: TunnelLog
}

/** The request listener of a tunnel host, with a way to drain it. */
export interface TunnelHandler {
  handle: (req: http.IncomingMessage, res: http.ServerResponse) => void
  /** Requests being handled now. */
  inFlight: () => number
  /** Refuses new requests (503) and resolves when in-flight ones finished or `graceMs` passed. */
  drain: (graceMs: number) => Promise<void>
}

/**
 * The heart of `tunnel host`: for each request, the caller's spoofable headers go, its proven
 * identity is added, the webhook gate runs when configured (nothing reaches the app unless it
 * passes), then the request streams to the app and the answer streams back. Refusals are the
 * registry's status with `{ "error": { "code", "message" } }`. One log line per request, never
 * a body, a query string or a secret.
 *
 * @example
 * ```ts
 * const tunnel = createTunnelHandler({ target: parseTarget('http://127.0.0.1:8080'), callerOf })
 * http.createServer(tunnel.handle)
 * ```
 */
export function createTunnelHandler(opts: TunnelHandlerOptions): TunnelHandler {
  const maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_TUNNEL_MAX_BODY
  const gate = opts.verify ? createVerifyGate(opts.verify, maxBodyBytes) : undefined
  const agent = new http.Agent({ keepAlive: true })
  const forward = {
    target: opts.target,
    agent,
    maxBodyBytes,
    timeoutMs: opts.upstreamTimeoutMs ?? DEFAULT_UPSTREAM_TIMEOUT_MS,
  }
  const inFlight = createInFlight()
  let draining = false

  const serve = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    caller: TunnelCaller | undefined,
  ): Promise<number> => {
    if (draining) throw new ZhError('ZH_TUNNEL_CLOSING')
    if (!caller) throw new ZhError('ZH_E2E_REFUSED', 'not an overlay caller')
    let passed: PassedWebhook | undefined
    if (gate) {
      const outcome = await gate(req)
      // A handshake or URL check is the tunnel's to answer: the app never sees it.
      if ('challenge' in outcome) {
        writeAnswer(req, res, outcome.challenge)
        return outcome.challenge.status
      }
      passed = outcome
    }
    const headers = upstreamRequestHeaders(req.headers, caller, opts.target.authority)
    try {
      const status = await forwardRequest(req, res, headers, passed?.body, forward)
      // The app failed it: let the sender's retry through rather than call it a replay.
      if (passed && status >= 500) await passed.release()
      return status
    } catch (err) {
      await passed?.release()
      throw err
    } finally {
      passed?.done()
    }
  }

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const started = performance.now()
    const leave = inFlight.enter()
    const caller = opts.callerOf(req)
    const line = {
      method: req.method,
      path: (req.url ?? '/').split('?')[0],
      caller: caller?.name ?? caller?.identityId,
    }
    serve(req, res, caller)
      .then((status) => ({ status, code: undefined as ZhCode | undefined }))
      .catch((err: unknown) => {
        const code = isZhError(err) && err.status < 500 ? err.code : codeForFailure(err)
        // The real cause of a hidden failure stays here (a code and a message, never a body).
        if (code === 'ZH_INTERNAL')
          opts.log?.warn({ ...line, err: (err as Error).message }, 'tunnel request failed')
        writeAnswer(req, res, refusal(code))
        return { status: res.statusCode, code }
      })
      .then(({ status, code }) => {
        const ms = Math.round(performance.now() - started)
        opts.log?.info({ ...line, status, ms, ...(code ? { code } : {}) }, 'tunnel request')
      })
      .finally(leave)
      .catch(() => undefined)
  }

  return {
    handle,
    inFlight: inFlight.count,
    async drain(graceMs) {
      draining = true
      await inFlight.idle(graceMs)
      agent.destroy()
    },
  }
}

// Tunnel failures the caller should see as they are; other 5xx (a broken replay store, an
// option fault) go through the webhook layer's rule, which hides configuration faults.
function codeForFailure(err: unknown): ZhCode {
  if (
    isZhError(err) &&
    (err.code === 'ZH_TUNNEL_UPSTREAM_UNAVAILABLE' ||
      err.code === 'ZH_TUNNEL_UPSTREAM_TIMEOUT' ||
      err.code === 'ZH_TUNNEL_CLOSING')
  )
    return err.code
  return publicCode(err)
}
