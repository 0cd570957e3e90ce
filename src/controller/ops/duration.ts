const DAY_MS = 86_400_000

/** A span for people: days, hours or seconds ("25 days", "23 hours", "40 s"). */
export function duration(ms: number): string {
  if (ms >= 2 * DAY_MS) return `${Math.floor(ms / DAY_MS)} days`
  if (ms >= 2 * 3600_000) return `${Math.floor(ms / 3600_000)} hours`
  return `${Math.max(1, Math.floor(ms / 1000))} s`
}
