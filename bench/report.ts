/** Runs `fn` n times in sequence and returns the rate. */
export async function timed(
  n: number,
  fn: (i: number) => Promise<void>,
): Promise<{ perSecond: number; ms: number }> {
  const start = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await fn(i)
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  return { perSecond: (n * 1000) / ms, ms }
}

/** Prints one benchmark figure as an aligned line. */
export function report(group: string, what: string, value: number, unit = ''): void {
  const shown = value >= 100 ? value.toFixed(0) : value.toFixed(2)
  process.stdout.write(`${group.padEnd(12)} ${what.padEnd(90)} ${shown}${unit}\n`)
}

/** The value at fraction `p` (0..1) of an ascending array. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}

/** The median of unsorted values. */
export function median(values: number[]): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  )
}

/** Calls per second and CPU ms per call of `n` calls of `fn`, `inFlight` at a time. */
export async function rate(
  n: number,
  inFlight: number,
  fn: () => Promise<void>,
  otherCpuMs: () => Promise<number>,
): Promise<{ perSecond: number; cpuMs: number; otherCpuMs: number }> {
  const other = await otherCpuMs()
  const cpu = process.cpuUsage()
  const start = performance.now()
  let started = 0
  const worker = async () => {
    while (started++ < n) await fn()
  }
  await Promise.all(Array.from({ length: inFlight }, worker))
  const ms = performance.now() - start
  const used = process.cpuUsage(cpu)
  return {
    perSecond: (n * 1000) / ms,
    cpuMs: (used.user + used.system) / 1000 / n,
    otherCpuMs: ((await otherCpuMs()) - other) / n,
  }
}
