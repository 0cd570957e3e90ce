import type { Logger } from 'pino'
import { ZhError } from '../errors.js'
import type { PendingCircuit } from '../wire/index.js'
import { GrantBook } from './grant-book.js'
import type { IdentityFile } from './identity-file.js'
import { RouterLink, type RouterInfo } from './router-link.js'

/** What a generation asks of the context that owns it. */
export interface GenerationHooks {
  log: Logger
  /** A router offered a circuit for one of our bindings. */
  onCircuit(pending: PendingCircuit): void
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

  constructor(
    readonly identity: IdentityFile,
    private readonly hooks: GenerationHooks,
  ) {
    this.grants = new GrantBook(identity, hooks.log)
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
      const link = new RouterLink(r, () => this.identity, this.hooks.log)
      link.on('circuit', (pending) => this.hooks.onCircuit(pending))
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
   * Stops using this generation (a newer certificate took over): no more grant refreshes, the
   * bindings leave its links so routers send new circuits to the next generation's, and each
   * link closes once its circuits are done, at the latest when its certificate expires.
   */
  retire(bindings: Iterable<number>, expiresAt: number): void {
    this.grants.close()
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
