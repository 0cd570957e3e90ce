import type { Logger } from 'pino'
import { ZhError, isZhError } from '../errors.js'
import { renewalDue } from '../pki/validity.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import { assertNotExpired, renewIdentity } from '../sdk/renewal.js'
import type { RouterIdentity } from './identity.js'

/** Options of {@link startRenewal}. */
export interface RenewalOptions {
  log: Logger
  /** Called with each renewed identity, e.g. to save it to its file. */
  onRenewed?: (identity: IdentityFile) => Promise<void> | void
  /** The certificate expired before it could be renewed: the router cannot go on. */
  onExpired: (err: ZhError) => void
}

/** A running renewal schedule. */
export interface Renewal {
  /**
   * Renews now if it is due (or `force`), or says the certificate expired. Safe to call often:
   * the router's sweep calls it every second, which also catches up after the machine slept
   * (timers run on a clock that stops during a suspend; the certificate's does not).
   */
  tick(force?: boolean): Promise<void>
  close(): void
}

/** Retry backoff after a failed renewal, ms. */
const RETRY_MIN = 1_000
const RETRY_MAX = 60_000
/** setTimeout holds at most ~24.8 days. */
const MAX_TIMER_MS = 2 ** 31 - 1

/**
 * Renews the router's certificate two thirds into its life (DESIGN §9), with a CSR over mTLS,
 * for as long as the router runs. A failure is logged as a warning and retried with jittered
 * backoff, never later than half the time left, until the certificate expires; then
 * `onExpired` gets ZH_CERT_EXPIRED with the commands that enroll the router again.
 *
 * @example
 * const renewal = startRenewal(identity, { log, onRenewed: (id) => saveIdentity(path, id), onExpired: stop })
 */
export function startRenewal(identity: RouterIdentity, opts: RenewalOptions): Renewal {
  const { log } = opts
  let stopped = false
  let failures = 0
  let running: Promise<void> | undefined
  let timer: NodeJS.Timeout | undefined
  const dueOf = () =>
    renewalDue(identity.certificate.notBefore.getTime(), identity.certificate.notAfter.getTime())
  let nextAt = dueOf()

  const arm = () => {
    clearTimeout(timer)
    if (stopped) return
    timer = setTimeout(() => void tick(), Math.min(MAX_TIMER_MS, Math.max(0, nextAt - Date.now())))
    timer.unref()
  }

  const expired = (): boolean => {
    if (identity.certificate.notAfter.getTime() > Date.now()) return false
    try {
      assertNotExpired(identity.current)
      return false
    } catch (err) {
      stopped = true
      clearTimeout(timer)
      const e = isZhError(err) ? err : new ZhError('ZH_CERT_EXPIRED')
      log.error({ code: e.code, err: e.message }, 'router certificate expired')
      opts.onExpired(e)
      return true
    }
  }

  const renew = async () => {
    try {
      const renewed = await renewIdentity(identity.current)
      if (stopped) return
      identity.replace(renewed)
      failures = 0
      nextAt = dueOf()
      const { serial, notAfter } = identity.certificate
      log.info({ serial, notAfter: notAfter.toISOString() }, 'router certificate renewed')
      try {
        await opts.onRenewed?.(renewed)
      } catch (err) {
        // The running router has its new certificate; only a restart would miss it.
        log.error({ err: (err as Error).message }, 'the renewed router identity was not saved')
      }
    } catch (err) {
      if (stopped) return
      if (isZhError(err, 'ZH_CERT_EXPIRED')) return void expired()
      failures++
      const left = identity.certificate.notAfter.getTime() - Date.now()
      const backoff =
        Math.min(RETRY_MAX, RETRY_MIN * 2 ** (failures - 1)) * (0.5 + Math.random() / 2)
      const delay = Math.max(RETRY_MIN / 2, Math.min(backoff, left / 2))
      nextAt = Date.now() + delay
      log.warn(
        {
          code: 'ZH_CERT_RENEWAL_FAILED',
          err: (err as Error).message,
          failures,
          retryInMs: Math.round(delay),
          expiresInMs: left,
        },
        'router certificate renewal failed; retrying',
      )
    }
  }

  const tick = async (force = false): Promise<void> => {
    if (stopped || expired()) return
    if (running) return running
    // Not due: the timer is armed for it.
    if (!force && Date.now() < nextAt) return
    running = renew().finally(() => {
      running = undefined
      arm()
    })
    return running
  }

  arm()
  return {
    tick,
    close: () => {
      stopped = true
      clearTimeout(timer)
    },
  }
}
