import type { ClientRequest } from 'node:http'
import https from 'node:https'
import { createInterface } from 'node:readline'
import type { Logger } from 'pino'
import type { ChangeEvent } from '../controller/changes.js'
import type { RoutesLine } from '../controller/routing/state.js'
import { checkServerPrincipal } from '../pki/verify.js'
import { requestJson } from '../sdk/controller-client.js'
import { controllerPool } from '../sdk/controller-pool.js'
import { CONTROLLERS_HEADER, parseControllersHeader } from '../sdk/controller-urls.js'
import type { IdentityFile } from '../sdk/identity-file.js'

/** A line of the controller's event stream. */
export type ControlLine =
  /** `seq`: the last change the controller had delivered when the stream opened. */
  | { type: 'hello'; routerId: string; revoked: string[]; knock?: string[]; seq?: number }
  /** The network's knock key was rotated: the keys now, current first. */
  | { type: 'knock'; keys: string[] }
  | ({ type: 'change'; seq?: number } & ChangeEvent)
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
 * grants and revocations it has. With several controller replicas, each attempt goes to the one
 * that answered last, and the attempt after a failure (or after a stream that was up died) to
 * the next one the router knows (its identity's shared `controllerPool`).
 *
 * Every connection is made with the router's current certificate. `reconnect()` (after a
 * renewal) opens a new stream before it lets the old one go, so no pushed change falls between
 * them; a change that arrives on both is applied twice, which is harmless, and the `hello`
 * that opens every stream carries all active revocations anyway. Each new stream also asks for
 * the changes after the last one applied, which the controller replays after its `hello`.
 *
 * @example
 * const control = startControlClient(() => identity.current, { address, onLine, onState, log })
 * identity.on('renewed', () => control.reconnect())
 */
export function startControlClient(
  identity: () => IdentityFile,
  opts: {
    address: () => string
    /** The status body posted on connect (default: just the address). */
    status?: () => Record<string, unknown>
    onLine: (line: ControlLine) => void
    onState: (up: boolean) => void
    log: Logger
  },
): { reconnect(): void; close(): void } {
  let stopped = false
  let attempt = 0
  let timer: NodeJS.Timeout | undefined
  /** Streams are numbered as they are started: a newer one that comes up supersedes the rest. */
  let started = 0
  let active: { seq: number; req: ClientRequest; cert: string } | undefined
  const open = new Set<ClientRequest>()
  /**
   * The newest change (by its network-wide sequence number) this router has applied: a new
   * stream asks for what followed it (`?since=`), so a change made while the router was
   * disconnected, or while it moved to another replica, is still applied.
   */
  let lastChange: number | undefined
  const track = (line: ControlLine) => {
    const seq = (line as { seq?: unknown }).seq
    if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0) return
    if (line.type === 'hello') lastChange ??= seq
    else if (line.type === 'change') lastChange = Math.max(lastChange ?? 0, seq)
  }

  const retry = () => {
    if (stopped) return
    clearTimeout(timer)
    const delay = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** attempt) * (0.5 + Math.random() / 2)
    attempt++
    timer = setTimeout(() => void connect(), delay)
    timer.unref()
  }

  const connect = async () => {
    const seq = ++started
    const id = identity()
    const pool = controllerPool(id)
    const url = pool.current()
    const tls = { ca: id.ca, cert: id.certificate, key: id.key }
    // The newest attempt failed: try again (another replica, if there is one), unless a stream
    // with the current certificate is up.
    const failed = () => {
      if (stopped || seq !== started || active?.cert === identity().certificate) return
      pool.failed(url)
      retry()
    }
    try {
      const r = await requestJson(
        url,
        { mode: 'verified', network: id.network, ...tls },
        {
          method: 'POST',
          path: '/v1/router/status',
          body: opts.status?.() ?? { address: opts.address() },
        },
      )
      pool.learn(r.controllers)
    } catch (err) {
      opts.log.warn(
        { err: (err as Error).message, controller: url },
        'controller unreachable; retrying',
      )
      return failed()
    }
    if (stopped) return
    const path =
      lastChange === undefined ? '/v1/router/events' : `/v1/router/events?since=${lastChange}`
    const req = https.request(new URL(path, url), {
      ...tls,
      minVersion: 'TLSv1.3',
      agent: false,
      checkServerIdentity: checkServerPrincipal({ network: id.network, kind: 'controller' }),
    })
    open.add(req)
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
      if (active && active.seq > seq) return void req.destroy() // a newer one came up first
      pool.succeeded(url)
      pool.learn(parseControllersHeader(res.headers[CONTROLLERS_HEADER]))
      const previous = active
      active = { seq, req, cert: tls.cert }
      attempt = 0
      opts.onState(true)
      alive()
      const lines = createInterface({ input: res })
      lines.on('error', () => undefined) // readline re-emits the response's 'aborted' error
      lines.on('line', (text) => {
        if (active?.req !== req) return
        alive()
        try {
          const line = JSON.parse(text) as ControlLine
          opts.onLine(line)
          track(line)
        } catch (err) {
          opts.log.error({ err: (err as Error).message }, 'bad control line')
        }
      })
      res.on('end', () => req.destroy(new Error('control stream ended')))
      // The new stream is up (its hello comes first): the old one may go now.
      previous?.req.destroy()
    })
    req.on('error', (err) => opts.log.warn({ err: err.message }, 'control stream failed'))
    req.on('close', () => {
      clearTimeout(silence)
      open.delete(req)
      if (active?.req === req) {
        active = undefined
        opts.onState(false)
        // A replica that goes away ends its streams: the next attempt tries another.
        if (!stopped) pool.failed(url)
        retry()
      } else failed()
    })
    req.end()
  }

  void connect()
  return {
    reconnect: () => {
      if (stopped) return
      clearTimeout(timer)
      attempt = 0
      void connect()
    },
    close: () => {
      stopped = true
      clearTimeout(timer)
      for (const req of open) req.destroy()
    },
  }
}
