import type { Server } from 'node:http'
import { ZhError, isZhCode, isZhError } from '../errors.js'
import { encodeOverlay, decodeTerminateMeta } from '../wire/overlay.js'
import type { PendingCircuit } from '../wire/index.js'
import { createE2eHost, e2eDial } from './e2e/index.js'
import { Generation } from './generation.js'
import type { GrantCache } from './grant-cache.js'
import { createOverlayAgent, type OverlayAgent } from './http/agent.js'
import { createOverlayDispatcher } from './http/dispatcher.js'
import { serveOverlay } from './http/serve.js'
import type { IdentityFile } from './identity-file.js'
import { OverlayListener, type OverlaySocket } from './listener.js'
import { lazyPino, type SdkLog } from './log.js'
import { phaseDone } from './phases.js'
import { assertNotExpired, certificateExpiry, renewalDelay, renewIdentity } from './renewal.js'
import type { RouterLink } from './router-link.js'

/** Refusals that fresh grants may cure (a policy added or restored since the last fetch). */
const STALE_GRANT = new Set<string>([
  'ZH_ROUTER_PERMISSION_REVOKED',
  'ZH_GRANT_EXPIRED',
  'ZH_SDK_NO_GRANT',
])

/** Options of {@link connect}. */
export interface ConnectOptions {
  /** Where warnings go; default a pino logger at `warn` on stdout, made on its first line. */
  log?: SdkLog
  /** Called with the renewed identity (new certificate and key), e.g. to save it to its file. */
  onRenewed?: (identity: IdentityFile) => Promise<void> | void
  /** How long connect() waits for a first router link, ms (default 10 s). */
  routerTimeoutMs?: number
  /**
   * Keeps the grants of each fetch for the next start (see `fileGrantCache`): a process that
   * starts often (a CLI send, a Lambda) then skips the controller while they are fresh.
   */
  grantCache?: GrantCache
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
    opts.log ?? lazyPino((pino) => pino({ level: 'warn', base: { component: 'sdk' } })),
    opts.onRenewed,
    opts.grantCache,
  )
  await zh.start(opts.routerTimeoutMs ?? 10_000)
  return zh
}

/** How long connect() tries the routers of cached grants before it asks the controller, ms. */
const CACHED_ROUTERS_TIMEOUT_MS = 3_000

/** Longest a delivery circuit waits idle for the next webhook (less if the receiver says so), ms. */
const DELIVERY_IDLE_MS = 30_000

/** How long a dial waits for a router link that is down to come back, ms. */
const DIAL_LINK_WAIT_MS = 3_000

/** After a failed renewal, try again this soon (ms), at most. */
const RENEW_RETRY_MS = 60_000

/** See {@link connect}. */
export class Zerohook {
  /** The current certificate, its grants and its router links (see Generation). */
  private gen: Generation
  private readonly listeners = new Map<
    number,
    { listener: OverlayListener; host: ReturnType<typeof createE2eHost> }
  >()
  private nextBinding = 1
  private closed = false

  private renewTimer: NodeJS.Timeout | undefined
  private deliveries: OverlayAgent | undefined

  constructor(
    identity: IdentityFile,
    private readonly log: SdkLog,
    private readonly onRenewed?: (identity: IdentityFile) => Promise<void> | void,
    private readonly grantCache?: GrantCache,
  ) {
    this.gen = this.generation(identity)
  }

  /** @internal */
  async start(routerTimeoutMs: number): Promise<void> {
    assertNotExpired(this.gen.identity)
    await this.startGeneration(this.gen, routerTimeoutMs)
    this.scheduleRenewal()
  }

  private generation(identity: IdentityFile): Generation {
    return new Generation(identity, {
      log: this.log,
      grantCache: this.grantCache,
      onCircuit: (pending, gen, link) => void this.onTermination(pending, gen, link),
      onUp: (link, gen) => this.bindOn(link, gen),
    })
  }

  /** Fetches the generation's grants, connects its links and waits for one to be ready. */
  private async startGeneration(gen: Generation, timeoutMs: number): Promise<void> {
    const started = performance.now()
    const { grants, fromCache } = await gen.grants.start()
    phaseDone(fromCache ? 'grants-cached' : 'grants', started)
    gen.grants.onUpdate((g) => {
      gen.syncLinks(g.routers)
      void this.rebindAll(gen)
    })
    const linking = performance.now()
    gen.syncLinks(grants.routers)
    if (!fromCache) await gen.whenReady(timeoutMs)
    else {
      // Cached routers may have moved or gone: short of a link soon, ask the controller.
      const cachedRouters = Math.min(timeoutMs, CACHED_ROUTERS_TIMEOUT_MS)
      await gen.whenReady(cachedRouters).catch(async () => {
        await gen.grants.refresh() // its update listener re-syncs the links
        await gen.whenReady(timeoutMs)
      })
    }
    phaseDone('router-tls', linking)
  }

  /**
   * Renews the certificate now (it also happens by itself two thirds into its lifetime): a new
   * key and certificate, grants bound to it and new router connections, all made beside the
   * current ones; once a new connection has bound our services, dials and bindings switch over
   * and the old connections close when their circuits are done. Nothing in flight is dropped.
   */
  async renew(): Promise<void> {
    this.assertOpen()
    const old = this.gen
    const renewed = await renewIdentity(old.identity)
    const next = this.generation(renewed)
    try {
      await this.startGeneration(next, 10_000)
    } catch (err) {
      next.close()
      throw err
    }
    if (this.closed) return next.close()
    this.gen = next
    // A service bound while the new links were coming up is on the old links only.
    void this.rebindAll(next)
    old.retire(this.listeners.keys(), certificateExpiry(old.identity.certificate))
    await this.onRenewed?.(renewed)
    this.log.info({ identity: renewed.id }, 'certificate renewed')
    this.scheduleRenewal()
  }

  private scheduleRenewal(): void {
    clearTimeout(this.renewTimer)
    if (this.closed) return
    const certificate = this.gen.identity.certificate
    // setTimeout holds at most ~24.8 days; re-check then if the renewal is further away.
    const delay = Math.min(renewalDelay(certificate), 2 ** 31 - 1)
    this.renewTimer = setTimeout(() => {
      if (renewalDelay(certificate) > 1_000) return this.scheduleRenewal()
      this.renew().catch((err: Error) => {
        if (this.closed) return
        const left = certificateExpiry(certificate) - Date.now()
        if (left <= 0) {
          // It can no longer renew itself: say so once, loudly, with what to do.
          const expired = isZhError(err, 'ZH_CERT_EXPIRED') ? err : undefined
          this.log.error(
            { code: 'ZH_CERT_EXPIRED', err: (expired ?? err).message },
            'certificate expired before it could be renewed; enroll this identity again',
          )
          return
        }
        const retryMs = Math.max(1_000, Math.min(RENEW_RETRY_MS, left / 10))
        this.log.warn(
          { code: 'ZH_CERT_RENEWAL_FAILED', err: err.message, retryMs, expiresInMs: left },
          'certificate renewal failed; retrying',
        )
        this.renewTimer = setTimeout(() => this.scheduleRenewal(), retryMs)
        this.renewTimer.unref()
      })
    }, delay)
    this.renewTimer.unref()
  }

  /** The identity this context acts as. */
  get id(): { id: string; name: string; network: string } {
    const { identity } = this.gen
    return { id: identity.id, name: identity.name, network: identity.network }
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
      await this.gen.grants.refresh().catch(() => undefined)
      return this.dialOnce(service)
    }
  }

  private async dialOnce(service: string): Promise<OverlaySocket> {
    this.assertOpen()
    // One generation throughout: the router checks the grant against the certificate of the
    // link it arrives on, the hoster against the one we show end to end.
    const gen = this.gen
    const grant = gen.grants.grant(service, 'dial')
    // No link up (a process thawed to find its links closed, a router restarting): reconnect
    // now and wait a moment rather than fail a dial that a retry would make anyway.
    let links = await gen.upLinksSoon(DIAL_LINK_WAIT_MS)
    if (links.length === 0) throw new ZhError('ZH_SDK_NO_ROUTER')
    const tried = new Set<RouterLink>()
    const relinked = new Set<RouterLink>()
    let last: unknown
    while (links.length > 0) {
      for (const link of links) {
        tried.add(link)
        try {
          return await this.dialVia(link, gen, service, grant)
        } catch (err) {
          last = err
          if (!link.up && !relinked.has(link)) {
            // The link died under this dial (a process thawed before it saw the link close):
            // once it is back, it gets one more try.
            relinked.add(link)
            tried.delete(link)
            continue
          }
          if (!(isZhError(err) && err.code === 'ZH_ROUTER_NO_TERMINATOR')) throw err
        }
      }
      // Nobody hosts the service on the routers tried. A link still coming up (this process
      // just started, or one came back) may lead to the one it is bound on.
      links = await gen.upLinksSoon(DIAL_LINK_WAIT_MS, tried)
    }
    throw last instanceof Error ? last : new ZhError('ZH_SDK_NO_ROUTER')
  }

  /** One dial through one router: the circuit, then the end-to-end handshake. */
  private async dialVia(
    link: RouterLink,
    gen: Generation,
    service: string,
    grant: ReturnType<Generation['grants']['grant']>,
  ): Promise<OverlaySocket> {
    const opening = performance.now()
    const { circuit } = await link.open(encodeOverlay({ service, grant: grant.token }))
    const handshake = performance.now()
    phaseDone('dial', opening)
    const { socket } = await e2eDial(
      circuit,
      { identity: gen.identity, grant: grant.token },
      { serviceName: service, serviceId: grant.service.id },
    )
    phaseDone('e2e', handshake)
    // The socket owns the circuit now: an overlay reset becomes its error, with the code.
    gen.track(socket, link, circuit.id)
    return socket
  }

  /** Binds a service on every router; 'connection' events bring authorized callers. */
  async listen(service: string): Promise<OverlayListener> {
    this.assertOpen()
    const gen = this.gen
    const grant = gen.grants.grant(service, 'bind')
    const binding = this.nextBinding++
    const listener = new OverlayListener(service, binding, () => {
      this.listeners.delete(binding)
      host.close()
      for (const link of this.gen.links.values()) link.unbind(binding)
    })
    // Read at every accept: the freshest grant and the certificate it is bound to (DESIGN §9).
    const host = createE2eHost(() => this.gen.grants.local(service, 'bind'), {
      name: service,
      id: grant.service.id,
    })
    this.listeners.set(binding, { listener, host })
    const results = await Promise.allSettled(
      gen.upLinks().map((l) => l.bind(binding, service, grant.token)),
    )
    if (!results.some((r) => r.status === 'fulfilled')) {
      this.listeners.delete(binding)
      listener.release()
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

  /**
   * The keep-alive agent `deliverWebhook` shares: a warm process (a Lambda between invocations)
   * sends its next webhook on the circuit of the last, idle at most until the receiver's
   * keep-alive timeout. Closed with the context.
   */
  deliveryAgent(): OverlayAgent {
    this.assertOpen()
    this.deliveries ??= createOverlayAgent((service) => this.dial(service), {
      timeout: DELIVERY_IDLE_MS,
    })
    return this.deliveries
  }

  /** Closes every router link and binding. */
  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.renewTimer)
    this.deliveries?.destroy()
    for (const { listener } of this.listeners.values()) listener.close()
    this.gen.close()
    await Promise.resolve()
  }

  private assertOpen(): void {
    if (this.closed) throw new ZhError('ZH_SDK_CLOSED')
  }

  /** Binds every hosted service on a link, with the grants of the link's generation. */
  private async bindOn(link: RouterLink, gen: Generation): Promise<void> {
    for (const [binding, { listener }] of this.listeners) {
      try {
        await link.bind(binding, listener.service, gen.grants.grant(listener.service, 'bind').token)
      } catch (err) {
        this.log.warn({ err: (err as Error).message, service: listener.service }, 'bind failed')
      }
    }
  }

  /** Fresh grants: bind again everywhere, so routers hold the terminators as long again. */
  private async rebindAll(gen: Generation): Promise<void> {
    if (gen !== this.gen) return
    for (const link of gen.upLinks()) await this.bindOn(link, gen)
  }

  private async onTermination(
    pending: PendingCircuit,
    gen: Generation,
    link: RouterLink,
  ): Promise<void> {
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
      const { socket } = await entry.host.accept(circuit)
      gen.track(socket, link, circuit.id)
      entry.listener.emit('connection', socket)
    } catch (err) {
      const code = isZhError(err) && isZhCode(err.code) ? err.code : 'ZH_INTERNAL'
      this.log.warn({ code, service: entry.listener.service }, 'refused an end-to-end connection')
    }
  }
}
