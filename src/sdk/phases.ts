import { channel } from 'node:diagnostics_channel'

/** The steps of a connect and a dial whose time {@link phases} reports. */
export type PhaseName = 'grants' | 'grants-cached' | 'router-tls' | 'dial' | 'e2e'

/** One finished step: its name and how long it took, ms. */
export interface Phase {
  name: PhaseName
  ms: number
}

/**
 * Where the time of a connect and of each dial goes, as a `node:diagnostics_channel` channel:
 * `zerohook send --timing` and the benchmarks subscribe; with no subscriber a publish costs a
 * branch, so it stays in the hot path.
 *
 * @example
 * ```ts
 * import { subscribe } from 'node:diagnostics_channel'
 * subscribe('zerohook:phase', (p) => console.error(p))
 * ```
 */
export const phases = channel('zerohook:phase')

/** Publishes that `name` finished, having started at `startedAt` (`performance.now()`). */
export function phaseDone(name: PhaseName, startedAt: number): void {
  if (phases.hasSubscribers)
    phases.publish({ name, ms: performance.now() - startedAt } satisfies Phase)
}
