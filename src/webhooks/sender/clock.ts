import type { SenderClock } from './types.js'

// setTimeout fires at once for delays past 2^31-1 ms; capped, the sender re-arms when it wakes early.
const MAX_TIMER = 2 ** 31 - 1

/** The real clock: Date.now and setTimeout. */
export const systemClock: SenderClock = {
  now: () => Date.now(),
  setTimer(fn, ms) {
    const timer = setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER))
    return () => clearTimeout(timer)
  },
}
