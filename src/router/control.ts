import type { ClientRequest } from 'node:http'
import https from 'node:https'
import { createInterface } from 'node:readline'
import type { Logger } from 'pino'
import type { ChangeEvent } from '../controller/changes.js'
import type { RoutesLine } from '../controller/routing/state.js'
import { checkServerPrincipal } from '../pki/verify.js'
import { requestJson } from '../sdk/controller-client.js'
import type { IdentityFile } from '../sdk/identity-file.js'

/** A line of the controller's event stream. */
export type ControlLine =
  | { type: 'hello'; routerId: string; revoked: string[] }
  | ({ type: 'change' } & ChangeEvent)
  | { type: 'heartbeat'; at: number }
  | RoutesLine

/** Reconnect backoff bounds, ms. */
const BACKOFF_MIN = 250
const BACKOFF_MAX = 15_000
/** No line for this long (three heartbeats) means the stream is dead. */
const SILENCE_MS = 35_000

/**
 * The router's outbound control channel to the controller: reports its address, then holds the
 * event stream open and hands each line on. Reconnects with jittered exponential backoff for as
 * long as the router runs; while the controller is away, the router keeps relaying with the
 * grants and revocations it has.
 */
export function startControlClient(
  identity: IdentityFile,
  opts: {
    address: () => string
    /** The status body posted on connect (default: just the address). */
    status?: () => Record<string, unknown>
    onLine: (line: ControlLine) => void
    onState: (up: boolean) => void
    log: Logger
  },
): { close(): void } {
  let stopped = false
  let attempt = 0
  let current: ClientRequest | undefined
  let timer: NodeJS.Timeout | undefined
  const tls = { ca: identity.ca, cert: identity.certificate, key: identity.key }

  const retry = () => {
    if (stopped) return
    const delay = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** attempt) * (0.5 + Math.random() / 2)
    attempt++
    timer = setTimeout(() => void connect(), delay)
  }

  const connect = async () => {
    try {
      await requestJson(
        identity.controller,
        { mode: 'verified', network: identity.network, ...tls },
        {
          method: 'POST',
          path: '/v1/router/status',
          body: opts.status?.() ?? { address: opts.address() },
        },
      )
    } catch (err) {
      opts.log.warn({ err: (err as Error).message }, 'controller unreachable; retrying')
      return retry()
    }
    if (stopped) return
    const req = https.request(new URL('/v1/router/events', identity.controller), {
      ...tls,
      minVersion: 'TLSv1.3',
      agent: false,
      checkServerIdentity: checkServerPrincipal({ network: identity.network, kind: 'controller' }),
    })
    current = req
    let silence: NodeJS.Timeout | undefined
    const alive = () => {
      clearTimeout(silence)
      silence = setTimeout(() => req.destroy(new Error('control stream silent')), SILENCE_MS)
    }
    req.on('response', (res) => {
      res.on('error', () => undefined) // the request's own 'error' and 'close' handle it
      if (res.statusCode !== 200) {
        res.resume()
        req.destroy(new Error(`controller answered ${res.statusCode}`))
        return
      }
      attempt = 0
      opts.onState(true)
      alive()
      const lines = createInterface({ input: res })
      lines.on('error', () => undefined) // readline re-emits the response's 'aborted' error
      lines.on('line', (text) => {
        alive()
        try {
          opts.onLine(JSON.parse(text) as ControlLine)
        } catch (err) {
          opts.log.error({ err: (err as Error).message }, 'bad control line')
        }
      })
      res.on('end', () => req.destroy(new Error('control stream ended')))
    })
    req.on('error', (err) => opts.log.warn({ err: err.message }, 'control stream failed'))
    req.on('close', () => {
      clearTimeout(silence)
      opts.onState(false)
      retry()
    })
    req.end()
  }

  void connect()
  return {
    close: () => {
      stopped = true
      clearTimeout(timer)
      current?.destroy()
    },
  }
}
