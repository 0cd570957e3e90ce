import type { Duplex } from 'node:stream'
import type { SdkLog } from './log.js'
import { ZhError } from '../errors.js'
import type { PendingCircuit } from '../wire/index.js'
import { markDraining } from './http/draining.js'
import { GrantBook } from './grant-book.js'
import type { GrantCache } from './grant-cache.js'
import type { IdentityFile } from './identity-file.js'
import { RouterLink, type RouterInfo } from './router-link.js'

/** What a generation asks of the context that owns it. */
export interface GenerationHooks {
  log: SdkLog
  /** Where the grants of the last fetch are kept for the next start, if anywhere. */
  grantCache?: GrantCache
  /** A router offered a circuit for one of our bindings, on `link` of `generation`. */
  onCircuit(pending: PendingCircuit, generation: Generation, link: RouterLink): void
  /** A link came up: bind every service we host on it (resolves when done). */
  onUp(link: RouterLink, generation: Generation): Promise<void>
}

/**
 * Everything bound to one certificate of an identity: the grants fetched with it (so bound to
 * its fingerprint) and the router connections made with it. A router checks that a grant names
 * the certificate of the connection it arrives on, so the three must change together: a renewal
 * builds the next generation beside this one and switches over once it is connected, and this
 * one drains.
 */
export class Generation {
  readonly grants: GrantBook
  readonly links = new Map<string, RouterLink>()
  /** Links that came up and finished binding. */
  private readonly ready = new Set<RouterLink>()
  private readonly waiters = new Set<() => void>()
  /** End-to-end connections over this generation's links, dialed or accepted, by circuit. */
  private readonly sockets = new Map<RouterLink, Map<number, Duplex>>()
  private retired = false

  constructor(
    readonly identity: IdentityFile,
    private readonly hooks: GenerationHooks,
  ) {
    this.grants = new GrantBook(identity, hooks.log, hooks.grantCache)
  }

  /** Links that are up now. */
  upLinks(): RouterLink[] {
    return [...this.links.values()].filter((l) => l.up)
  }

  /** Connects to exactly these routers (new ones dialed, moved ones redialed, gone ones closed). */
  syncLinks(routers: readonly RouterInfo[]): void {
    for (const r of routers) {
      const existing = this.links.get(r.id)
      if (existing && existing.router.address === r.address) continue
      existing?.close()
      const link = new RouterLink(
        r,
        () => this.identity,
        this.hooks.log,
        () => this.grants.current?.knock ?? this.identity.knock,
      )
      link.on('circuit', (pending) => this.hooks.onCircuit(pending, this, link))
      // The router's link that carries these circuits is going away (it renewed).
      link.on('draining', (circuits) => {
        const open = this.sockets.get(link)
        for (const id of circuits) {
          const socket = open?.get(id)
          if (socket) markDraining(socket)
        }
      })
      link.on('up', () => {
        void this.hooks.onUp(link, this).finally(() => {
          if (!link.up) return
          this.ready.add(link)
          for (const w of this.waiters) w()
        })
      })
      link.on('down', () => this.ready.delete(link))
      link.on('unbound', (binding, code) =>
        this.hooks.log.warn({ binding, code, router: r.name }, 'router removed a binding'),
      )
      this.links.set(r.id, link)
      link.start()
    }
    for (const [id, link] of this.links) {
      if (!routers.some((r) => r.id === id)) {
        link.close()
        this.links.delete(id)
        this.ready.delete(link)
        this.sockets.delete(link)
      }
    }
  }

  /**
   * Resolves once some link is up and has bound our services; ZH_SDK_NO_ROUTER when there is
   * no router to use or none gets there within `timeoutMs`.
   */
  whenReady(timeoutMs: number): Promise<void> {
    if (this.links.size === 0)
      return Promise.reject(
        new ZhError(
          'ZH_SDK_NO_ROUTER',
          'no router is allowed for this identity or none reported an address',
        ),
      )
    if (this.ready.size > 0) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const done = () => {
        this.waiters.delete(done)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        this.waiters.delete(done)
        reject(new ZhError('ZH_SDK_NO_ROUTER', `none reachable within ${timeoutMs} ms`))
      }, timeoutMs)
      this.waiters.add(done)
    })
  }

  /**
   * Links up now that are not in `tried` (default: none tried); when there are none but some
   * other link is down, wakes it out of its reconnect backoff and waits up to `timeoutMs` for
   * one to come up (none then: an empty list).
   */
  async upLinksSoon(
    timeoutMs: number,
    tried: ReadonlySet<RouterLink> = new Set(),
  ): Promise<RouterLink[]> {
    const fresh = () => this.upLinks().filter((l) => !tried.has(l))
    const waiting = [...this.links.values()].filter((l) => !tried.has(l))
    if (fresh().length > 0 || waiting.length === 0) return fresh()
    for (const link of waiting) link.reconnectNow()
    await new Promise<void>((resolve) => {
      const done = () => {
        if (fresh().length === 0) return
        this.waiters.delete(done)
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        this.waiters.delete(done)
        resolve()
      }, timeoutMs)
      this.waiters.add(done)
    })
    return fresh()
  }

  /**
   * Keeps a connection over one of our links (its circuit `circuitId` there), to tell it when
   * this generation retires or the router says the circuit's path is going away.
   */
  track(socket: Duplex, link: RouterLink, circuitId: number): void {
    if (this.retired) return markDraining(socket)
    const open = this.sockets.get(link) ?? new Map<number, Duplex>()
    this.sockets.set(link, open)
    open.set(circuitId, socket)
    socket.once('close', () => {
      if (open.get(circuitId) === socket) open.delete(circuitId)
    })
  }

  /**
   * Stops using this generation (a newer certificate took over): no more grant refreshes, the
   * bindings leave its links so routers send new circuits to the next generation's, its
   * connections are marked draining (HTTP stops reusing them), and each link closes once its
   * circuits are done, at the latest when its certificate expires.
   */
  retire(bindings: Iterable<number>, expiresAt: number): void {
    this.retired = true
    this.grants.close()
    // Keep-alive HTTP on these connections moves to new ones between two requests.
    for (const open of this.sockets.values())
      for (const socket of open.values()) markDraining(socket)
    this.sockets.clear()
    const ids = [...bindings]
    // A circuit cannot move to another connection: it may finish on this one for as long as
    // the certificate that authenticated it is valid (routers cut it then).
    const grace = Math.max(0, expiresAt - Date.now())
    for (const link of this.links.values()) {
      for (const id of ids) link.unbind(id)
      link.retire(grace)
    }
  }

  /** Closes every link and stops refreshing. */
  close(): void {
    this.grants.close()
    for (const link of this.links.values()) link.close()
    this.links.clear()
    this.ready.clear()
  }
}
