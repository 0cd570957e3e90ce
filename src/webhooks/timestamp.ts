import { ZhError } from '../errors.js'
import type { Clock } from './types.js'

// Whole decimal seconds only: no sign, fraction, exponent or trailing junk (`1614265330abc`).
const SECONDS = /^[0-9]{1,12}$/

/** Parses a timestamp header of whole decimal Unix seconds, or throws ZH_WEBHOOK_TIMESTAMP_INVALID. */
export function parseSeconds(text: string, name: string): number {
  if (!SECONDS.test(text))
    throw new ZhError('ZH_WEBHOOK_TIMESTAMP_INVALID', `${name}: ${preview(text)}`)
  return Number(text)
}

/** Throws ZH_WEBHOOK_TIMESTAMP_STALE or _FUTURE when `seconds` is outside the tolerance of now. */
export function checkFreshness(seconds: number, clock: Clock): void {
  if (seconds < clock.now - clock.tolerance) {
    throw new ZhError('ZH_WEBHOOK_TIMESTAMP_STALE', `${clock.now - seconds} s old`)
  }
  if (seconds > clock.now + clock.tolerance) {
    throw new ZhError('ZH_WEBHOOK_TIMESTAMP_FUTURE', `${seconds - clock.now} s ahead`)
  }
}

/** Unix seconds now, or of the given Date / seconds. */
export function unixSeconds(at?: Date | number): number {
  if (at === undefined) return Math.floor(Date.now() / 1000)
  const seconds = at instanceof Date ? Math.floor(at.getTime() / 1000) : at
  if (!Number.isFinite(seconds))
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'now/timestamp is not a time')
  return seconds
}

// Error details echo at most a short, printable prefix of what was sent.
function preview(text: string): string {
  const clean = text.slice(0, 24).replace(/[^\x20-\x7e]/g, '?')
  return JSON.stringify(text.length > 24 ? `${clean}...` : clean)
}
