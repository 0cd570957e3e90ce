import { ZhError } from '../../errors.js'

// Date-time of RFC 3339 section 5.6: a fraction of up to 9 digits (Twitch sends nanoseconds)
// and a Z or +hh:mm offset (Box sends -07:00). Anything else, e.g. Unix seconds, is refused.
const DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.\d{1,9})?(?:([Zz])|([+-])(\d{2}):(\d{2}))$/

/**
 * Parses an RFC 3339 date-time header (Twitch, Zendesk, Box) to whole Unix seconds, the fraction
 * dropped, or throws ZH_WEBHOOK_TIMESTAMP_INVALID.
 */
export function parseRfc3339(text: string, name: string): number {
  const match = DATE_TIME.exec(text)
  const invalid = (): never => {
    const shown = text.slice(0, 40).replace(/[^\x20-\x7e]/g, '?')
    throw new ZhError('ZH_WEBHOOK_TIMESTAMP_INVALID', `${name} is not an RFC 3339 time: "${shown}"`)
  }
  if (!match) return invalid()
  const [year, month, day, hour, minute, second] = match.slice(1, 7).map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ]
  const offsetHours = match[9] === undefined ? 0 : Number(match[9])
  const offsetMinutes = match[10] === undefined ? 0 : Number(match[10])
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate()
  if (
    year < 1970 ||
    month < 1 ||
    month > 12 ||
    day < 1 ||
    day > days ||
    hour > 23 ||
    minute > 59 ||
    second > 59 ||
    offsetHours > 23 ||
    offsetMinutes > 59
  ) {
    return invalid()
  }
  const offset = (match[8] === '-' ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60)
  return Date.UTC(year, month - 1, day, hour, minute, second) / 1000 - offset
}

/** Unix seconds as an RFC 3339 UTC date-time without a fraction: `2021-03-25T05:09:27Z`. */
export function formatRfc3339(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
}
