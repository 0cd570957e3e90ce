import type { SdkLog } from './log.js'
import type { GrantsResponse, GrantView } from '../controller/ops/grants.js'
import type { Action } from '../controller/policy/types.js'
import { ZhError } from '../errors.js'
import { ControllerClient } from './controller-client.js'
import type { GrantCache } from './grant-cache.js'
import type { IdentityFile } from './identity-file.js'

/** How soon after a failed refresh to try again, ms (doubling up to the max). */
const RETRY_MIN = 1_000
const RETRY_MAX = 60_000

/**
 * An endpoint's grants for one certificate: fetched over mTLS with that certificate (so they are
 * bound to it), refreshed at half their lifetime, kept (until they expire) while the controller
 * is unreachable, so existing services keep working through a control-plane outage. A renewed
 * certificate gets a book of its own; a refresh replaces every grant, and a replaced grant is
 * never handed out again.
 */
export class GrantBook {
  private latest: GrantsResponse | undefined
  private timer: NodeJS.Timeout | undefined
  private failures = 0
  private closed = false
  private readonly listeners = new Set<(grants: GrantsResponse) => void>()

  constructor(
    readonly identity: IdentityFile,
    private readonly log: SdkLog,
    private readonly cache?: GrantCache,
  ) {}

  /**
   * Takes the cached grants when they are fresh (`fromCache` true), or fetches them now; then
   * schedules refreshes.
   */
  async start(): Promise<{ grants: GrantsResponse; fromCache: boolean }> {
    const cached = await this.cache?.load(this.identity)
    if (cached && !this.closed) {
      this.latest = cached
      this.schedule(this.halfLife(cached))
      return { grants: cached, fromCache: true }
    }
    return { grants: await this.refresh(), fromCache: false }
  }

  /** The last fetched grants. */
  get current(): GrantsResponse | undefined {
    return this.latest
  }

  /** Called after every successful refresh. */
  onUpdate(listener: (grants: GrantsResponse) => void): void {
    this.listeners.add(listener)
  }

  /** The unexpired grant for (service, action), or ZH_SDK_NO_GRANT. */
  grant(service: string, action: Action, now = Date.now()): GrantView {
    const found = this.latest?.grants.find((g) => g.service.name === service && g.action === action)
    if (!found) throw new ZhError('ZH_SDK_NO_GRANT', `${action} ${service}`)
    if (Date.parse(found.expiresAt) <= now)
      throw new ZhError('ZH_GRANT_EXPIRED', `${action} ${service}`)
    return found
  }

  /**
   * What the end-to-end layer presents for (service, action): the certificate these grants are
   * bound to and the freshest grant, read together.
   */
  local(service: string, action: Action): { identity: IdentityFile; grant: string } {
    return { identity: this.identity, grant: this.grant(service, action).token }
  }

  /** Fetches grants now. */
  async refresh(): Promise<GrantsResponse> {
    clearTimeout(this.timer)
    if (this.closed) throw new ZhError('ZH_SDK_CLOSED', 'the grant book was closed')
    try {
      const grants = await new ControllerClient(this.identity).call<GrantsResponse>(
        'GET',
        '/v1/current-identity/grants',
      )
      if (this.closed) return grants
      this.latest = grants
      this.failures = 0
      this.schedule(this.halfLife(grants))
      for (const l of this.listeners) l(grants)
      this.cache?.save(this.identity, grants).catch((err: Error) => {
        // A read-only directory (a Lambda's code) only costs the next start a round trip.
        this.log.debug({ err: err.message }, 'could not cache grants')
      })
      return grants
    } catch (err) {
      if (this.closed) throw err
      this.failures++
      // Back off, but retry well before the grants in hand run out.
      const left = this.latest ? this.soonestExpiry(this.latest) - Date.now() : RETRY_MAX
      const delay = Math.max(
        RETRY_MIN,
        Math.min(RETRY_MAX, RETRY_MIN * 2 ** (this.failures - 1), left / 4),
      )
      this.log.warn(
        { err: (err as Error).message, retryMs: delay },
        'grant refresh failed; keeping current grants',
      )
      this.schedule(delay)
      throw err
    }
  }

  /** Stops refreshing. */
  close(): void {
    this.closed = true
    clearTimeout(this.timer)
  }

  private soonestExpiry(grants: GrantsResponse, now = Date.now()): number {
    return Math.min(...grants.grants.map((g) => Date.parse(g.expiresAt)), now + 10 * 60_000)
  }

  private halfLife(grants: GrantsResponse): number {
    const now = Date.now()
    return Math.max(1_000, (this.soonestExpiry(grants, now) - now) / 2)
  }

  private schedule(ms: number): void {
    if (this.closed) return
    this.timer = setTimeout(() => void this.refresh().catch(() => undefined), ms)
    this.timer.unref()
  }
}
