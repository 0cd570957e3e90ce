import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { ZhError } from '../../errors.js'

/** A child process of the quickstart, with the JSON lines it logged. */
export interface Child {
  readonly process: ChildProcess
  readonly pid: number
  readonly lines: Record<string, unknown>[]
  /** Resolves the first line matching `pred`; rejects if the process exits or time runs out. */
  waitFor(
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>
  /** SIGTERM, then waits for the exit. */
  stop(): Promise<void>
}

/**
 * Starts `node ARGV` with its stdout read as JSON lines (pino logs, or the receiver's events).
 * Stderr is kept for the error message if the process dies early.
 */
export function startChild(
  name: string,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
): Child {
  const child = spawn(process.execPath, argv, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
    cwd,
  })
  const lines: Record<string, unknown>[] = []
  const waiters = new Set<() => void>()
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => {
    if (stderr.length < 8192) stderr += d.toString()
  })
  createInterface({ input: child.stdout }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>)
    } catch {
      lines.push({ text })
    }
    for (const wake of waiters) wake()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    process: child,
    pid: child.pid!,
    lines,
    waitFor: (pred, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const done = () => {
          waiters.delete(check)
          clearTimeout(timer)
        }
        const check = () => {
          const hit = lines.find(pred)
          if (hit) {
            done()
            resolve(hit)
          }
        }
        const timer = setTimeout(() => {
          done()
          reject(new ZhError('ZH_QUICKSTART_CHILD_FAILED', `${name} did not get ready in time`))
        }, timeoutMs)
        waiters.add(check)
        check()
        void exited.then(() => {
          if (!waiters.has(check)) return
          done()
          const why = stderr.trim().split('\n').slice(-3).join(' / ')
          reject(new ZhError('ZH_QUICKSTART_CHILD_FAILED', `${name} exited: ${why}`))
        })
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
