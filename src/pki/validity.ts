import { ZhError } from '../errors.js'

/** Certificates start a minute in the past so a peer whose clock lags a little accepts them. */
export const CLOCK_SKEW_MS = 60_000

const DAY_MS = 86_400_000
const MAX_DAYS = 36_500

/**
 * The validity window of a new certificate: from `now` minus the clock skew allowance to `now`
 * plus `days`. Fractions of a day are allowed; anything not in (0, 36500] is ZH_CONFIG_INVALID.
 */
export function validityWindow(now: Date, days: number): { notBefore: Date; notAfter: Date } {
  if (typeof days !== 'number' || !Number.isFinite(days) || days <= 0 || days > MAX_DAYS) {
    throw new ZhError('ZH_CONFIG_INVALID', `certificate days must be in (0, ${MAX_DAYS}]: ${days}`)
  }
  const start = now.getTime()
  if (!Number.isFinite(start)) throw new ZhError('ZH_CONFIG_INVALID', 'invalid "now" date')
  return {
    notBefore: new Date(start - CLOCK_SKEW_MS),
    notAfter: new Date(start + Math.round(days * DAY_MS)),
  }
}
