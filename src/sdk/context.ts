import type { Server } from 'node:http'
import type { Duplex } from 'node:stream'
import type { TLSSocket } from 'node:tls'
import pino, { type Logger } from 'pino'
import { ZhError, isZhCode, isZhError } from '../errors.js'
import { encodeOverlay, decodeTerminateMeta } from '../wire/overlay.js'
import type { PendingCircuit } from '../wire/index.js'
import { createE2eHost, e2eDial } from './e2e/index.js'
import { GrantBook } from './grant-book.js'
import { createOverlayAgent, createOverlayDispatcher, serveOverlay } from './http/index.js'
import type { IdentityFile } from './identity-file.js'
import { OverlayListener, type OverlaySocket } from './listener.js'
import { renewalDelay, renewIdentity } from './renewal.js'
import { RouterLink } from './router-link.js'

/**
 * After the handshake the circuit belongs to its TLS socket: an overlay reset of the circuit
 * (revocation, a router going away) becomes the socket's error, with the ZH_* code, so the
 * application sees why its connection ended.
 */
function forwardErrors(circuit: Duplex, socket: TLSSocket): void {
  circuit.on('error', (err) => {
    if (socket.destroyed) return
    // Nobody listens for errors on this socket (an idle pooled connection, say): close it
    // without one rather than crash the application's process.
    if (socket.listenerCount('error') === 0) socket.destroy()
    else socket.destroy(err)
  })
}

/** Refusals that fresh grants may cure (a policy added or restored since the last fetch). */
const STALE_GRANT = new Set<string>([
  'ZH_ROUTER_PERMISSION_REVOKED',
  'ZH_GRANT_EXPIRED',
  'ZH_SDK_NO_GRANT',
])

/** Options of {@link connect}. */
export interface ConnectOptions {
  log?: Logger
  /** Called with the renewed identity (new certificate and key), e.g. to save it to its file. */
  onRenewed?: (identity: IdentityFile) => Promise<void> | void
  /** How long connect() waits for a first router link, ms (default 10 s). */
  routerTimeoutMs?: number
}

/**
 * Connects an identity to its network: fetches its grants, links to every router it may use, and
 * returns a context to dial and serve services. Nothing listens on a port.
 *
 * @example
 * const zh = await connect(await loadIdentity('jenkins.json'))
 * await zh.serve('jenkins-webhook', httpServer)
 */
export async function connect(
  identity: IdentityFile,
  opts: ConnectOptions = {},
): Promise<Zerohook> {
  const zh = new Zerohook(
    identity,
    opts.log ?? pino({ level: 'warn', base: { component: 'sdk' } }),
    opts.onRenewed,
  )
  await zh.start(opts.routerTimeoutMs ?? 10_000)
  return zh
}

/** See {@link connect}. */
export class Zerohook {
  private readonly grants: GrantBook
  private readonly links = new Map<string, RouterLink>()
  private readonly listeners = new Map<
    number,
    { listener: OverlayListener; host: ReturnType<typeof createE2eHost> }
  >()
  private nextBinding = 1
  private closed = false

  private renewTimer: NodeJS.Timeout | undefined

  constructor(
    private identity: IdentityFile,
    private readonly log: Logger,
    private readonly onRenewed?: (identity: IdentityFile) => Promise<void> | void,
  ) {
    this.grants = new GrantBook(identity, log)
  }

  /** @internal */
  async start(routerTimeoutMs: number): Promise<void> {
    const grants = await this.grants.start()
    this.grants.onUpdate((g) => {
      this.syncLinks(g.routers)
      void this.rebindAll()
    })
    this.syncLinks(grants.routers)
    this.scheduleRenewal()
    await this.waitForLink(routerTimeoutMs)
  }

  /**
   * Renews the certificate now (it also happens by itself two thirds into its lifetime): fetches
   * grants bound to the new certificate and moves to new router connections; the old ones close
   * once their circuits are done.
   */
  async renew(): Promise<void> {
    this.assertOpen()
    const renewed = await renewIdentity(this.identity)
    this.identity = renewed
    await this.grants.useIdentity(renewed)
    const routers = [...this.links.values()].map((l) => l.router)
    for (const link of this.links.values()) link.retire()
    this.links.clear()
    this.syncLinks(routers)
    await this.waitForLink(10_000)
    await this.onRenewed?.(renewed)
    this.log.info({ identity: renewed.id }, 'certificate renewed')
    this.scheduleRenewal()
  }

  private scheduleRenewal(): void {
    clearTimeout(this.renewTimer)
    if (this.closed) return
    // setTimeout holds at most ~24.8 days; re-check then if the renewal is further away.
    const delay = Math.min(renewalDelay(this.identity.certificate), 2 ** 31 - 1)
    this.renewTimer = setTimeout(() => {
      if (renewalDelay(this.identity.certificate) > 1_000) return this.scheduleRenewal()
      this.renew().catch((err: Error) => {
        this.log.warn({ err: err.message }, 'certificate renewal failed; retrying in a minute')
        this.renewTimer = setTimeout(() => this.scheduleRenewal(), 60_000)
        this.renewTimer.unref()
      })
    }, delay)
    this.renewTimer.unref()
  }

  /** The identity this context acts as. */
  get id(): { id: string; name: string; network: string } {
    return { id: this.identity.id, name: this.identity.name, network: this.identity.network }
  }

  /**
   * Opens an end-to-end encrypted connection to a service: the router checks our dial grant,
   * the hoster proves it may bind the service, and we prove we may dial it.
   */
  async dial(service: string): Promise<OverlaySocket> {
    try {
      return await this.dialOnce(service)
    } catch (err) {
      // A router refused a grant the controller has since replaced (a policy came back, the
      // grant aged out): fetch fresh grants once and try again.
      if (!isZhError(err) || !STALE_GRANT.has(err.code)) throw err
      await this.grants.refresh().catch(() => undefined)
      return this.dialOnce(service)
    }
  }

  private async dialOnce(service: string): Promise<OverlaySocket> {
    this.assertOpen()
    const grant = this.grants.grant(service, 'dial')
    const links = [...this.links.values()].filter((l) => l.up)
    if (links.length === 0) throw new ZhError('ZH_SDK_NO_ROUTER')
    let last: unknown
    for (const link of links) {
      try {
        const { circuit } = await link.open(encodeOverlay({ service, grant: grant.token }))
        const { socket, peer } = await e2eDial(circuit, this.local(grant.token), {
          serviceName: service,
          serviceId: grant.service.id,
        })
        forwardErrors(circuit, socket)
        return Object.assign(socket, { peerIdentity: peer })
      } catch (err) {
        last = err
        if (!(isZhError(err) && err.code === 'ZH_ROUTER_NO_TERMINATOR')) break
      }
    }
    throw last instanceof Error ? last : new ZhError('ZH_SDK_NO_ROUTER')
  }

  /** Binds a service on every router; 'connection' events bring authorized callers. */
  async listen(service: string): Promise<OverlayListener> {
    this.assertOpen()
    const grant = this.grants.grant(service, 'bind')
    const binding = this.nextBinding++
    const listener = new OverlayListener(service, binding, () => {
      this.listeners.delete(binding)
      host.close()
      for (const link of this.links.values()) link.unbind(binding)
    })
    const host = createE2eHost(this.local(grant.token), { name: service, id: grant.service.id })
    this.listeners.set(binding, { listener, host })
    const results = await Promise.allSettled(
      [...this.links.values()]
        .filter((l) => l.up)
        .map((l) => l.bind(binding, service, grant.token)),
    )
    if (!results.some((r) => r.status === 'fulfilled')) {
      this.listeners.delete(binding)
      host.close()
      const failure = results.find((r) => r.status === 'rejected')
      throw failure ? (failure.reason as Error) : new ZhError('ZH_SDK_NO_ROUTER')
    }
    return listener
  }

  /** Serves any `http.Server` (Express, Fastify, plain) over a bound service; it never listens. */
  async serve(service: string, server: Server): Promise<OverlayListener> {
    const listener = await this.listen(service)
    serveOverlay(server, listener)
    return listener
  }

  /** An undici Dispatcher whose connections are overlay dials: the URL host is the service. */
  dispatcher(): ReturnType<typeof createOverlayDispatcher> {
    return createOverlayDispatcher((service) => this.dial(service))
  }

  /** An http.Agent whose connections are overlay dials (http.request, axios, got). */
  httpAgent(): ReturnType<typeof createOverlayAgent> {
    return createOverlayAgent((service) => this.dial(service))
  }

  /** Closes every router link and binding. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.renewTimer)
    this.grants.close()
    for (const { listener } of this.listeners.values()) listener.close()
    for (const link of this.links.values()) link.close()
    this.links.clear()
    await Promise.resolve()
  }

  private local(grant: string) {
    return { identity: this.identity, grant }
  }

  private assertOpen(): void {
    if (this.closed) throw new ZhError('ZH_SDK_CLOSED')
  }

  private syncLinks(
    routers: readonly { id: string; name: string; address: string | null }[],
  ): void {
    for (const r of routers) {
      const existing = this.links.get(r.id)
      if (existing && existing.router.address === r.address) continue
      existing?.close()
      const link = new RouterLink(r, () => this.identity, this.log)
      link.on('circuit', (pending) => void this.onTermination(pending))
      link.on('up', () => void this.bindOn(link))
      link.on('unbound', (binding, code) =>
        this.log.warn({ binding, code, router: r.name }, 'router removed a binding'),
      )
      this.links.set(r.id, link)
      link.start()
    }
    for (const [id, link] of this.links) {
      if (!routers.some((r) => r.id === id)) {
        link.close()
        this.links.delete(id)
      }
    }
  }

  private async bindOn(link: RouterLink): Promise<void> {
    for (const [binding, { listener }] of this.listeners) {
      try {
        await link.bind(
          binding,
          listener.service,
          this.grants.grant(listener.service, 'bind').token,
        )
      } catch (err) {
        this.log.warn({ err: (err as Error).message, service: listener.service }, 'bind failed')
      }
    }
  }

  private async rebindAll(): Promise<void> {
    for (const link of this.links.values()) if (link.up) await this.bindOn(link)
  }

  private async onTermination(pending: PendingCircuit): Promise<void> {
    let entry
    try {
      entry = this.listeners.get(decodeTerminateMeta(pending.meta).binding)
    } catch (err) {
      pending.reject(isZhError(err) ? err.code : 'ZH_OVERLAY_MESSAGE_INVALID')
      return
    }
    if (!entry) return pending.reject('ZH_ROUTER_NO_TERMINATOR')
    const circuit = pending.accept()
    try {
      const { socket, peer } = await entry.host.accept(circuit)
      forwardErrors(circuit, socket)
      entry.listener.emit('connection', Object.assign(socket, { peerIdentity: peer }))
    } catch (err) {
      const code = isZhError(err) && isZhCode(err.code) ? err.code : 'ZH_INTERNAL'
      this.log.warn({ code, service: entry.listener.service }, 'refused an end-to-end connection')
    }
  }

  private waitForLink(timeoutMs: number): Promise<void> {
    const links = [...this.links.values()]
    if (links.length === 0)
      return Promise.reject(
        new ZhError(
          'ZH_SDK_NO_ROUTER',
          'no router is allowed for this identity or none reported an address',
        ),
      )
    if (links.some((l) => l.up)) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new ZhError('ZH_SDK_NO_ROUTER', `none reachable within ${timeoutMs} ms`)),
        timeoutMs,
      )
      for (const l of links) {
        l.once('up', () => {
          clearTimeout(timer)
          resolve()
        })
      }
    })
  }
}
