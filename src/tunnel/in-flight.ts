/** Requests a tunnel is handling, so that stopping can wait for them. */
export interface InFlight {
  /** Counts a request in; call the returned function once it is done (twice is harmless). */
  enter: () => () => void
  count: () => number
  /** Resolves once nothing is in flight, or after `graceMs`, whichever comes first. */
  idle: (graceMs: number) => Promise<void>
}

/**
 * A count of in-flight requests with a way to wait until it drops to zero.
 *
 * @example
 * ```ts
 * const inFlight = createInFlight()
 * const leave = inFlight.enter()
 * res.once('close', leave)
 * await inFlight.idle(5_000) // on stop
 * ```
 */
export function createInFlight(): InFlight {
  let active = 0
  const waiters = new Set<() => void>()
  return {
    enter() {
      active++
      let left = false
      return () => {
        if (left) return
        left = true
        active--
        if (active === 0) for (const wake of waiters) wake()
      }
    },
    count: () => active,
    async idle(graceMs) {
      if (active === 0) return
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, graceMs)
        function done() {
          clearTimeout(timer)
          waiters.delete(done)
          resolve()
        }
        waiters.add(done)
      })
    },
  }
}
