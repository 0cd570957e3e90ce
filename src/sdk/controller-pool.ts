import { setTimeout as sleep } from 'node:timers/promises'
import { isZhError } from '../errors.js'
import { controllerOrigin, orderControllers } from './controller-urls.js'
import type { IdentityFile } from './identity-file.js'

/** How long {@link ControllerPool.run} keeps trying when no controller can be reached. */
export interface FailoverTiming {
  /** Pause after the first round in which every URL failed, ms; it doubles each round after. */
  backoffMinMs: number
  /** Longest pause between rounds, ms. */
  backoffMaxMs: number
  /** Rounds over every URL before giving up (at least 1). */
  rounds: number
  /** No attempt starts later than this after the first one, ms. */
  deadlineMs: number
}

const DEFAULT_TIMING: FailoverTiming = {
  backoffMinMs: 100,
  backoffMaxMs: 2_000,
  rounds: 4,
  deadlineMs: 10_000,
}
let timing: FailoverTiming = { ...DEFAULT_TIMING }

/**
 * Sets the failover timing of every pool in this process (tests make it fast; a call without
 * argument restores the defaults: 4 rounds, 100 ms doubling up to 2 s, 10 s in all). Returns
 * the timing now in force.
 *
 * @example
 * setFailoverTiming({ rounds: 2, backoffMinMs: 5, backoffMaxMs: 10 })
 */
export function setFailoverTiming(next?: Partial<FailoverTiming>): FailoverTiming {
  timing = next ? { ...timing, ...next } : { ...DEFAULT_TIMING }
  return { ...timing }
}

/**
 * Errors that a controller gave as its answer although they carry no code of their own (an
 * HTTP 404 or 500 without a ZH body, from an older controller or a proxy): another replica on
 * the same database would answer the same, so they are not a reason to try it.
 */
const answers = new WeakSet<object>()

/** Marks `err` as a controller's answer (see {@link isUnreachable}); returns it. */
export function markAnswer<E extends Error>(err: E): E {
  answers.add(err)
  return err
}

/**
 * Whether `err` means the controller at that URL was not reached, so that another replica may
 * be: ZH_CONNECT_FAILED (refused, reset, timed out, an unreadable answer, a 502/503/504 without
 * a code), or ZH_SERVER_IDENTITY_INVALID (whatever listens there is not our controller, e.g. a
 * port a gone replica left to something else), or ZH_STORE_UNAVAILABLE (that replica lost its
 * database for a moment; another may still reach it). Every other error is an answer.
 */
export function isUnreachable(err: unknown): boolean {
  if (isZhError(err, 'ZH_SERVER_IDENTITY_INVALID')) return true
  if (isZhError(err, 'ZH_STORE_UNAVAILABLE')) return true
  return isZhError(err, 'ZH_CONNECT_FAILED') && !answers.has(err)
}

/**
 * The controller replicas an identity knows, in order: its own `controller` first, then those
 * learnt since (newest knowledge first), then the rest of its file's `controllers`. Remembers
 * the last URL that answered and tries it first; a URL that could not be reached hands the turn
 * to the next. Replicas are stateless over one database, so any of them answers the same.
 *
 * @example
 * const pool = controllerPool(identity)
 * const grants = await pool.run((url) => requestJson(url, tls, { method: 'GET', path }))
 */
export class ControllerPool {
  private list: string[]
  private good: string | undefined

  constructor(
    private readonly preferred: string,
    known: readonly string[] = [],
    private readonly timing: Partial<FailoverTiming> = {},
  ) {
    this.list = orderControllers(preferred, known)
  }

  /** Every valid URL known, the preferred one first: what an identity file keeps. */
  urls(): string[] {
    return this.list.filter((url) => controllerOrigin(url) === url)
  }

  /** The URL to try now: the last one that answered, else the preferred one. */
  current(): string {
    return this.good ?? this.list[0]!
  }

  /** `url` answered: it is tried first from now on. */
  succeeded(url: string): void {
    if (this.list.includes(url)) this.good = url
  }

  /** `url` could not be reached: if it had the turn, the next URL gets it. */
  failed(url: string): void {
    if (this.current() !== url) return // another caller has moved on already
    const i = this.list.indexOf(url)
    this.good = this.list[(i + 1) % this.list.length]
  }

  /**
   * Takes the URLs a controller just named (its {@link CONTROLLERS_HEADER}): they come right
   * after the preferred one, ahead of older knowledge, which is dropped first past the limit.
   */
  learn(urls: readonly string[]): void {
    if (urls.length === 0) return
    this.list = orderControllers(this.preferred, urls, this.list)
    if (this.good !== undefined && !this.list.includes(this.good)) this.good = undefined
  }

  /** Adds URLs known from elsewhere (a file) after those known already. */
  add(urls: readonly string[]): void {
    this.list = orderControllers(this.preferred, this.list, urls)
  }

  /**
   * Runs `attempt` against the current URL, and on an unreachable controller against the next,
   * for a round over every URL; after a round of failures it pauses (exponential, jittered) and
   * starts another, up to the rounds and deadline of the {@link FailoverTiming}. An answer,
   * error or not, ends it; giving up throws the last error.
   */
  async run<T>(
    attempt: (url: string) => Promise<T>,
    opts: Partial<FailoverTiming> = {},
  ): Promise<T> {
    const t = { ...timing, ...this.timing, ...opts }
    const start = Date.now()
    let last: unknown
    for (let round = 0; round < Math.max(1, t.rounds); round++) {
      if (round > 0) {
        const base = Math.min(t.backoffMaxMs, t.backoffMinMs * 2 ** (round - 1))
        const delay = base * (0.5 + Math.random() / 2)
        if (Date.now() + delay - start > t.deadlineMs) break
        await sleep(delay)
      }
      for (const url of this.round()) {
        try {
          const result = await attempt(url)
          this.succeeded(url)
          return result
        } catch (err) {
          if (!isUnreachable(err)) throw err
          last = err
          this.failed(url)
          if (Date.now() - start > t.deadlineMs) throw err
        }
      }
    }
    throw last
  }

  /** Every URL once, from the current one on. */
  private round(): string[] {
    const i = Math.max(0, this.list.indexOf(this.current()))
    return [...this.list.slice(i), ...this.list.slice(0, i)]
  }
}

const pools = new Map<string, ControllerPool>()

/**
 * The pool of an identity, one per process: its controller calls, grant refreshes, renewals and
 * (for a router) its control channel and status reports all share what was learnt. Keyed by
 * who the identity is and its preferred controller, so a renewed identity (a new object) keeps
 * its pool, and an admin command with `--controller URL` gets one that starts there.
 *
 * @example
 * const pool = controllerPool(identity)
 */
export function controllerPool(
  identity: Pick<IdentityFile, 'network' | 'kind' | 'id' | 'controller' | 'controllers'>,
): ControllerPool {
  const key = [identity.network, identity.kind, identity.id, identity.controller].join('\n')
  let pool = pools.get(key)
  if (!pool) {
    pool = new ControllerPool(identity.controller, identity.controllers)
    pools.set(key, pool)
  } else if (identity.controllers) {
    pool.add(identity.controllers)
  }
  return pool
}

/**
 * The identity with `controllers` set to every URL its pool knows (the preferred one first), so
 * a process started from the saved file later still knows every replica.
 *
 * @example
 * await saveIdentity(path, withKnownControllers(renewed))
 */
export function withKnownControllers(identity: IdentityFile): IdentityFile {
  const urls = controllerPool(identity).urls()
  return urls.length > 0 ? { ...identity, controllers: urls } : identity
}
