import { EventEmitter } from 'node:events'
import type tls from 'node:tls'
import type { SdkLog } from './log.js'
import { parseHostPort } from '../controller/layout.js'
import { ZhError, isZhCode } from '../errors.js'
import {
  createChannel,
  type Channel,
  type OpenedCircuit,
  type PendingCircuit,
} from '../wire/index.js'
import { decodeRouterMessageIfKnown, encodeOverlay, type RouterMessage } from '../wire/overlay.js'
import { clientContext } from './client-context.js'
import type { IdentityFile } from './identity-file.js'
import { dialRouter } from './router-dial.js'
import { awaitRouterProof } from './router-proof.js'

const BACKOFF_MIN = 200
const BACKOFF_MAX = 15_000
const BIND_TIMEOUT_MS = 10_000

/** A router as the grants response lists it. */
export interface RouterInfo {
  id: string
  name: string
  address: string | null
}

/** A router's answer to a bind. */
type Answer = Exclude<RouterMessage, { t: 'draining' }>

interface LinkEvents {
  up: []
  down: []
  circuit: [pending: PendingCircuit]
  unbound: [binding: number, code: string]
  /** These circuits run over a router link that is going away: move off them when idle. */
  draining: [circuits: number[]]
}

/**
 * One endpoint's connection to one router: mutual TLS 1.3 (the router must prove, inside the
 * channel, that it holds the key of a certificate of our network naming exactly this router),
 * a wire channel over it, and reconnects with jittered exponential backoff until closed.
 */
export class RouterLink extends EventEmitter<LinkEvents> {
  private channel: Channel | undefined
  /** The TLS connection being made or in use, until it closes. */
  private socket: tls.TLSSocket | undefined
  private attempt = 0
  private timer: NodeJS.Timeout | undefined
  private closed = false
  /**
   * Binds waiting for the router's answer, per binding id, in the order they were sent: a
   * refresh may bind an id again while its previous bind is still unanswered.
   */
  private readonly waiting = new Map<number, ((m: Answer) => void)[]>()

  constructor(
    readonly router: RouterInfo,
    private identity: () => IdentityFile,
    private readonly log: SdkLog,
    /** The network's knock keys now (fresher with each grants fetch than the identity file's). */
    private readonly knock: () => readonly string[] | undefined = () => identity().knock,
  ) {
    super()
  }

  /** True while the channel is open. */
  get up(): boolean {
    return this.channel !== undefined && !this.channel.closed
  }

  /** Starts connecting (and reconnecting). */
  start(): void {
    this.connect()
  }

  /**
   * Connects now instead of at the end of the backoff, when the link is down with no attempt in
   * progress: someone wants it (a dial after a thaw found the link closed while it was frozen).
   */
  reconnectNow(): void {
    if (this.closed || this.socket || this.up) return
    clearTimeout(this.timer)
    this.connect()
  }

  /** Binds a service here; resolves when the router accepted the grant. */
  bind(id: number, service: string, grant: string): Promise<void> {
    const channel = this.channel
    if (!channel || channel.closed)
      return Promise.reject(new ZhError('ZH_SDK_NO_ROUTER', this.router.name))
    return new Promise((resolve, reject) => {
      const waiter = (m: Answer) => {
        clearTimeout(timer)
        if (m.t === 'bound') resolve()
        else
          reject(
            new ZhError(
              isZhCode(m.code) ? m.code : 'ZH_INTERNAL',
              `bind ${service} on ${this.router.name}`,
            ),
          )
      }
      const timer = setTimeout(() => {
        this.dequeue(id, waiter)
        reject(new ZhError('ZH_SDK_NO_ROUTER', `${this.router.name} did not answer the bind`))
      }, BIND_TIMEOUT_MS)
      const queue = this.waiting.get(id) ?? []
      queue.push(waiter)
      this.waiting.set(id, queue)
      channel.send(encodeOverlay({ t: 'bind', id, service, grant }))
    })
  }

  /** Stops hosting a binding here. */
  unbind(id: number): void {
    if (this.up) this.channel!.send(encodeOverlay({ t: 'unbind', id }))
  }

  /** Opens a circuit through this router. */
  open(meta: Uint8Array): Promise<OpenedCircuit> {
    if (!this.channel || this.channel.closed)
      return Promise.reject(new ZhError('ZH_SDK_NO_ROUTER', this.router.name))
    return this.channel.open(meta)
  }

  /**
   * Stops using this link for new work (the identity was renewed): no reconnects, and the channel
   * closes once its circuits are done, or after `graceMs` at most.
   */
  retire(graceMs = 10 * 60_000): void {
    this.closed = true
    clearTimeout(this.timer)
    const deadline = Date.now() + graceMs
    const check = setInterval(() => {
      if (
        !this.channel ||
        this.channel.closed ||
        this.channel.circuits === 0 ||
        Date.now() > deadline
      ) {
        clearInterval(check)
        this.channel?.close()
      }
    }, 1_000)
    check.unref()
  }

  /** Closes the link for good. */
  close(): void {
    this.closed = true
    clearTimeout(this.timer)
    this.channel?.close()
  }

  private connect(): void {
    if (this.closed || this.socket) return
    const target = this.router.address ? parseHostPort(this.router.address) : undefined
    if (!target) return this.retry()
    const identity = this.identity()
    const options: tls.ConnectionOptions = {
      // The identity's one client context, shared with its end-to-end dials: building one
      // parses the key and certificates, milliseconds a cold sender would pay twice.
      secureContext: clientContext(identity),
      minVersion: 'TLSv1.3',
      // The router serves a certificate that names nothing: it proves who it is inside the
      // channel (awaitRouterProof), before anything of ours is sent.
      rejectUnauthorized: false,
      checkServerIdentity: () => undefined,
    }
    const socket = dialRouter(target, options, this.knock())
    socket.once('error', (err: Error) => {
      this.log.debug({ router: this.router.name, err: err.message }, 'router connection failed')
    })
    this.socket = socket
    let linked = false
    socket.once('close', () => {
      if (this.socket === socket) this.socket = undefined
      // A link that came up schedules its reconnect when its channel closes, just once.
      if (!linked) this.retry()
    })
    socket.once('secureConnect', () => {
      awaitRouterProof(socket, identity, this.router.id).then(
        () => this.linked(socket, () => (linked = true)),
        (err: ZhError) => {
          // A proof that does not hold is an impostor or a wrong address: worth a warning. No
          // proof at all is also what a router that refused our certificate sends (nothing),
          // as a revoked identity sees at every reconnect: not worth one each time.
          const level = err.code === 'ZH_ROUTER_PROOF_INVALID' ? 'warn' : 'debug'
          this.log[level](
            { router: this.router.name, code: err.code, err: err.message },
            'router refused: it did not prove its identity',
          )
          socket.destroy()
        },
      )
    })
  }

  /** The router proved itself: the wire channel over its connection. */
  private linked(socket: tls.TLSSocket, mark: () => void): void {
    if (this.closed || socket.destroyed) return void socket.destroy()
    mark()
    const channel = createChannel(socket, { role: 'initiator' })
    this.channel = channel
    channel.on('message', (bytes) => this.onMessage(bytes))
    channel.on('circuit', (pending) => this.emit('circuit', pending))
    channel.on('close', (err) => {
      this.channel = undefined
      for (const [id, queue] of this.waiting) {
        this.waiting.delete(id)
        for (const waiter of queue)
          waiter({ t: 'bind-failed', id, code: err?.code ?? 'ZH_WIRE_CHANNEL_CLOSED' })
      }
      this.log.info({ router: this.router.name, code: err?.code }, 'router link down')
      this.emit('down')
      this.retry()
    })
    this.attempt = 0
    this.log.info({ router: this.router.name }, 'router link up')
    this.emit('up')
  }

  private onMessage(bytes: Uint8Array): void {
    let m: RouterMessage | undefined
    try {
      m = decodeRouterMessageIfKnown(bytes)
    } catch (err) {
      this.channel?.close((err as ZhError).code)
      return
    }
    if (!m) return this.log.debug({ router: this.router.name }, 'skipped a router message')
    if (m.t === 'unbound') {
      this.emit('unbound', m.id, m.code)
      return
    }
    if (m.t === 'draining') {
      this.emit('draining', m.circuits)
      return
    }
    const waiter = this.waiting.get(m.id)?.[0]
    if (!waiter) return
    this.dequeue(m.id, waiter)
    waiter(m)
  }

  private dequeue(id: number, waiter: (m: Answer) => void): void {
    const queue = (this.waiting.get(id) ?? []).filter((w) => w !== waiter)
    if (queue.length > 0) this.waiting.set(id, queue)
    else this.waiting.delete(id)
  }

  private retry(): void {
    if (this.closed) return
    clearTimeout(this.timer)
    const delay = Math.min(BACKOFF_MAX, BACKOFF_MIN * 2 ** this.attempt) * (0.5 + Math.random() / 2)
    this.attempt++
    this.timer = setTimeout(() => this.connect(), delay)
    this.timer.unref()
  }
}
