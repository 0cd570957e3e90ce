import { createRequire } from 'node:module'
import type { Agent, Dispatcher } from 'undici'
import { asSocket, type OverlayDial } from './socket.js'
import { serviceOf } from './service-url.js'

/** Agent options of {@link createOverlayDispatcher}; `connect` is the overlay's. */
export type OverlayDispatcherOptions = Omit<Agent.Options, 'connect'>

/**
 * An undici `Dispatcher` whose connections are overlay dials: the URL host names the service, as
 * in `http://jenkins-webhook/hook`. Connections are pooled per service and kept alive (undici's
 * defaults, tunable through `options`), so later requests reuse the circuit. A failed dial fails
 * the request; with `fetch` the `ZH_*` code is on `err.cause.code`.
 *
 * @example
 * ```ts
 * import { fetch } from 'undici'
 * const dispatcher = createOverlayDispatcher((service) => zh.dial(service))
 * const res = await fetch('http://jenkins-webhook/github-webhook/', { method: 'POST', body, dispatcher })
 * ```
 */
export function createOverlayDispatcher(
  dial: OverlayDial,
  options: OverlayDispatcherOptions = {},
): OverlayDispatcher {
  const Impl = (implementation ??= defineOverlayDispatcher(require('undici') as Undici))
  return new Impl(dial, options)
}

type Undici = typeof import('undici')

const require = createRequire(import.meta.url)

/**
 * The dispatcher {@link createOverlayDispatcher} makes: an undici Agent of overlay dials, and a
 * fresh one as soon as a connection of the current one starts draining (its router connection
 * is going away after a renewal). The old Agent is closed gracefully: requests in flight finish,
 * then its connections close; no request is ever started on a draining connection.
 */
export type OverlayDispatcher = Dispatcher

let implementation: ReturnType<typeof defineOverlayDispatcher> | undefined

/**
 * The class is defined on first use, so that loading the SDK does not load undici (a tenth of a
 * second): a process that sends with `http.request` (`zerohook send`) never pays for it.
 */
function defineOverlayDispatcher({ Agent, Dispatcher }: Undici) {
  return class OverlayDispatcher extends Dispatcher {
    private current: Agent
    private readonly retired = new Set<Agent>()
    private closed = false

    constructor(
      private readonly dial: OverlayDial,
      private readonly options: OverlayDispatcherOptions,
    ) {
      super()
      this.current = this.agent()
    }

    override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler) {
      return this.current.dispatch(opts, handler)
    }

    override close(): Promise<void>
    override close(callback: () => void): void
    override close(callback?: () => void): Promise<void> | void {
      this.closed = true
      const done = Promise.all([this.current, ...this.retired].map((a) => a.close())).then(
        () => undefined,
      )
      if (!callback) return done
      void done.then(callback)
    }

    override destroy(): Promise<void>
    override destroy(err: Error | null): Promise<void>
    override destroy(callback: () => void): void
    override destroy(err: Error | null, callback: () => void): void
    override destroy(
      errOrCallback?: Error | null | (() => void),
      callback?: () => void,
    ): Promise<void> | void {
      this.closed = true
      const err = typeof errOrCallback === 'function' ? null : (errOrCallback ?? null)
      const cb = typeof errOrCallback === 'function' ? errOrCallback : callback
      const done = Promise.all([this.current, ...this.retired].map((a) => a.destroy(err))).then(
        () => undefined,
      )
      if (!cb) return done
      void done.then(cb)
    }

    private agent(): Agent {
      const agent: Agent = new Agent({
        ...this.options,
        connect: (opts, callback) => {
          // The callback always runs on a later tick, outside the promise chain: undici on Node
          // 20 misbehaves when it is called synchronously, and a throw inside it must not be
          // swallowed.
          let service: string
          try {
            service = serviceOf(opts.protocol, opts.hostname)
          } catch (err) {
            process.nextTick(callback, err, null)
            return
          }
          this.dial(service).then(
            (socket) => {
              socket.once('draining', () => this.rotate(agent))
              process.nextTick(callback, null, asSocket(socket))
            },
            (err: unknown) => process.nextTick(callback, asError(err), null),
          )
        },
      })
      // Callers that saw `dispatch` return false wait for this one's 'drain'.
      agent.on('drain', (origin: URL) => {
        this.emit('drain', origin)
      })
      return agent
    }

    /** New requests go to a fresh Agent; the draining one finishes its own and closes. */
    private rotate(from: Agent): void {
      if (this.closed || from !== this.current) return
      this.current = this.agent()
      this.retired.add(from)
      void from.close().finally(() => this.retired.delete(from))
    }
  }
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}
