import type net from 'node:net'
import { Agent } from 'undici'
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
): Agent {
  return new Agent({
    ...options,
    connect: (opts, callback) => {
      // The callback always runs on a later tick, outside the promise chain: undici on Node 20
      // misbehaves when it is called synchronously, and a throw inside it must not be swallowed.
      let service: string
      try {
        service = serviceOf(opts.protocol, opts.hostname)
      } catch (err) {
        process.nextTick(callback, err, null)
        return
      }
      dial(service).then(
        (socket) => process.nextTick(callback, null, asSocket(socket) as net.Socket),
        (err: unknown) => process.nextTick(callback, asError(err), null),
      )
    },
  })
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err))
}
