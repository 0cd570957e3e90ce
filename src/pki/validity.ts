import { ZhError } from '../errors.js'

/** Certificates start up to a minute in the past so a peer whose clock lags a little accepts them. */
export const CLOCK_SKEW_MS = 60_000

const DAY_MS = 86_400_000
const MAX_DAYS = 36_500

/**
 * The validity window of a new certificate: from `now` minus the clock skew allowance to `now`
 * plus `days`. Fractions of a day are allowed; anything not in (0, 36500] is ZH_CONFIG_INVALID.
 * The allowance is at most a quarter of the lifetime, so that a certificate of seconds (a test
 * network run through many lifetimes) is not mostly spent before it was issued.
 */
export function validityWindow(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0 || days > MAX_DAYS) {
    throw new ZhError('ZH_CONFIG_INVALID', `certificate days must be in (0, ${MAX_DAYS}]: ${days}`)
  }
  const start = now.getTime()
  if (!Number.isFinite(start)) throw new ZhError('ZH_CONFIG_INVALID', 'invalid "now" date')
  const life = Math.round(days * DAY_MS)
  return {
    notBefore: new Date(start - Math.min(CLOCK_SKEW_MS, Math.floor(life / 4))),
    notAfter: new Date(start + life),
  }
}

/** Renewal is due two thirds into a certificate's validity (DESIGN §9). */
export const RENEW_AT = 2 / 3

/** When a certificate valid from `notBefore` to `notAfter` (ms) is due for renewal, in ms. */
export function renewalDue(notBefore: number, notAfter: number): number {
  return notBefore + (notAfter - notBefore) * RENEW_AT
}
