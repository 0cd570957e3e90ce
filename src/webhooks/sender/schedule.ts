import { ZhError } from '../../errors.js'

const SECOND = 1000
const MINUTE = 60 * SECOND
const HOUR = 60 * MINUTE

/**
 * The Standard Webhooks retry schedule: the delay before each attempt, in milliseconds
 * (immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h): eight attempts over about 27 hours.
 */
export const STANDARD_SCHEDULE: readonly number[] = [
  0,
  5 * SECOND,
  5 * MINUTE,
  30 * MINUTE,
  2 * HOUR,
  5 * HOUR,
  10 * HOUR,
  10 * HOUR,
]

/** Checks a schedule: one or more whole, non-negative millisecond delays. */
export function checkSchedule(schedule: readonly number[]): readonly number[] {
  const list: readonly unknown[] = Array.isArray(schedule) ? schedule : []
  if (list.length === 0 || list.some((ms) => !Number.isSafeInteger(ms) || (ms as number) < 0)) {
    throw new ZhError('ZH_SENDER_OPTIONS_INVALID', 'schedule is a list of delays in whole ms')
  }
  return list as number[]
}

/**
 * The delay with jitter: uniformly within ±`jitter` (a fraction) of `ms`, so that retries of
 * many messages failed together do not arrive together. `random` is in [0, 1).
 *
 * @example
 * ```ts
 * withJitter(5000, 0.2, Math.random) // 4000 ≤ delay < 6000
 * ```
 */
export function withJitter(ms: number, jitter: number, random: () => number): number {
  return Math.max(0, Math.round(ms * (1 - jitter + 2 * jitter * random())))
}

/**
 * The wait a `Retry-After` header asks for, in ms: delta-seconds or an HTTP date, relative to
 * `now`, at most `cap`. Undefined when absent or unreadable.
 *
 * @example
 * ```ts
 * retryAfterMs('120', Date.now(), 3_600_000) // 120000
 * retryAfterMs('Wed, 21 Oct 2015 07:28:00 GMT', Date.now(), 3_600_000) // 0 (in the past)
 * ```
 */
export function retryAfterMs(
  header: string | readonly string[] | undefined,
  now: number,
  cap: number,
): number | undefined {
  const value = (typeof header === 'string' ? header : header?.[0])?.trim()
  if (!value) return undefined
  if (/^[0-9]{1,10}$/.test(value)) return Math.min(Number(value) * SECOND, cap)
  // HTTP dates name the weekday and end in GMT; Date.parse reads the IMF, RFC 850 and asctime forms.
  if (!/[A-Za-z]{3}/.test(value)) return undefined
  const at = Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.min(Math.max(0, at - now), cap)
}
