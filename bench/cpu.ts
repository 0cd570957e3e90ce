import { readFile } from 'node:fs/promises'

/** CPU use over a stretch of a benchmark, in % of one core (200 = two cores busy). */
export interface CpuUse {
  /** This process. */
  bench: number
  /** The router child process. */
  router: number
  /** Idle share of the whole machine (all cores, every process, other users' too), %. */
  machineIdle: number
}

/**
 * Starts measuring CPU use of this process, of the router process and of the machine; the
 * returned function gives the use since then. Linux only (/proc); NaN elsewhere.
 *
 * @example
 * const stop = await cpuMeter(() => processCpuMs(child.pid))
 * await work()
 * console.log(await stop()) // { bench: 98, router: 61, machineIdle: 12 }
 */
export async function cpuMeter(routerCpuMs: () => Promise<number>): Promise<() => Promise<CpuUse>> {
  const start = performance.now()
  const bench = process.cpuUsage()
  const router = await routerCpuMs()
  const machine = await machineTicks()
  return async () => {
    const wall = performance.now() - start
    const used = process.cpuUsage(bench)
    const now = await machineTicks()
    return {
      bench: ((used.user + used.system) / 1000 / wall) * 100,
      router: (((await routerCpuMs()) - router) / wall) * 100,
      machineIdle: ((now.idle - machine.idle) / (now.total - machine.total)) * 100,
    }
  }
}

/** CPU time (user + system) a process has used so far, ms, from /proc; NaN without /proc. */
export async function processCpuMs(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
    // Fields after the parenthesised command name: utime and stime are the 12th and 13th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS
  } catch {
    return NaN
  }
}

/** USER_HZ: the unit of /proc times, 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS = 100

/** Idle and total CPU ticks of the whole machine, from the first line of /proc/stat. */
async function machineTicks(): Promise<{ idle: number; total: number }> {
  try {
    const line = (await readFile('/proc/stat', 'utf8')).split('\n')[0]!
    const ticks = line.trim().split(/\s+/).slice(1).map(Number)
    // idle + iowait; guest times are already counted in user and nice.
    return { idle: ticks[3]! + ticks[4]!, total: ticks.slice(0, 8).reduce((a, b) => a + b, 0) }
  } catch {
    return { idle: NaN, total: NaN }
  }
}
