import http from 'node:http'
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { isDraining } from './draining.js'
import { asSocket, type OverlayDial } from './socket.js'
import { serviceOf } from './service-url.js'

/**
 * An `http.Agent` whose connections are overlay dials: the request's host names the service.
 * Keep-alive is on by default, so sequential requests reuse the circuit.
 */
export class OverlayAgent extends http.Agent {
  constructor(
    private readonly dial: OverlayDial,
    options: http.AgentOptions = {},
  ) {
    super({ keepAlive: true, ...options })
  }

  /** Dials the service asynchronously and hands the socket to `callback` (never returns one). */
  /** A draining connection goes once its request is done, instead of back to the pool. */
  override keepSocketAlive(socket: Socket): boolean {
    if (isDraining(socket)) return false
    // Node's own returns true after tuning the socket (typed void in @types/node).
    return (super.keepSocketAlive(socket) as unknown) !== false
  }

  override createConnection(
    options: http.ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const done = callback ?? (() => {})
    let service: string
    try {
      service = serviceOf(options.protocol, options.hostname ?? options.host)
    } catch (err) {
      process.nextTick(done, err)
      return undefined
    }
    this.dial(service).then(
      (socket) => {
        // Idle in the pool when it starts draining: nothing is on it, close it now.
        socket.once('draining', () => {
          const free = Object.values(this.freeSockets).some((list) =>
            list?.includes(socket as Socket),
          )
          if (free) socket.destroy()
        })
        process.nextTick(done, null, asSocket(socket))
      },
      (err: unknown) => process.nextTick(done, err instanceof Error ? err : new Error(String(err))),
    )
    return undefined
  }
}

/**
 * An `http.Agent` for `http.request`, axios, got and friends, whose connections are overlay
 * dials. A failed dial is the request's 'error', with the `ZH_*` code on `err.code`.
 *
 * @example
 * ```ts
 * const agent = createOverlayAgent((service) => zh.dial(service))
 * http.request({ host: 'jenkins-webhook', path: '/hook', method: 'POST', agent }, onResponse).end(body)
 * ```
 */
export function createOverlayAgent(dial: OverlayDial, options?: http.AgentOptions): OverlayAgent {
  return new OverlayAgent(dial, options)
}
