import { subscribe } from 'node:diagnostics_channel'
import { phases, type Phase } from '../sdk/phases.js'

/** Steps of a command, in the order they ran, with their ms. */
export interface Timing {
  /** Marks the end of a step of the command itself that started at `startedAt`. */
  step(name: string, startedAt: number): void
  /** Every step, the SDK's included, and the whole run since the process started. */
  report(): { steps: { name: string; ms: number }[]; totalMs: number }
}

/**
 * Collects where a command's time went (`zerohook send --timing`): its own steps and the SDK's
 * phases (grant fetch, router TLS, circuit dial, end-to-end handshake). The first step,
 * `start`, is the time from the process starting to the command running: Node's boot and the
 * loading of modules.
 */
export function startTiming(): Timing {
  const steps: { name: string; ms: number }[] = [{ name: 'start', ms: performance.now() }]
  subscribe(phases.name, (message) => {
    const p = message as Phase
    steps.push({ name: p.name, ms: p.ms })
  })
  return {
    step: (name, startedAt) => steps.push({ name, ms: performance.now() - startedAt }),
    report: () => ({ steps, totalMs: performance.now() }),
  }
}

/** The report as aligned lines, for standard error. */
export function formatTiming(report: ReturnType<Timing['report']>): string {
  const lines = report.steps.map((s) => `  ${s.name.padEnd(14)} ${s.ms.toFixed(1).padStart(8)} ms`)
  return `timing:\n${lines.join('\n')}\n  ${'total'.padEnd(14)} ${report.totalMs.toFixed(1).padStart(8)} ms\n`
}
