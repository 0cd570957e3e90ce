import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

/** A background process of the example, with the JSON lines it printed. */
export interface Proc {
  readonly name: string
  readonly child: ChildProcess
  readonly lines: Record<string, unknown>[]
  waitFor(
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>
  stop(): Promise<void>
}

/** What a finished command printed. */
export interface Done {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `node ARGV` to completion. */
export function run(argv: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): Promise<Done> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, argv, { env: { ...process.env, ...env }, cwd })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ code, stdout, stderr }))
  })
}

/** Starts `node ARGV` in the background, reading its stdout as JSON lines. */
export function start(
  name: string,
  argv: string[],
  env: NodeJS.ProcessEnv = {},
  cwd?: string,
): Proc {
  const child = spawn(process.execPath, argv, {
    env: { ...process.env, ...env },
    cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const lines: Record<string, unknown>[] = []
  const wakers = new Set<() => void>()
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
    for (const wake of wakers) wake()
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    name,
    child,
    lines,
    waitFor: (pred, timeoutMs = 30_000) =>
      new Promise((resolve, reject) => {
        const finish = () => {
          wakers.delete(check)
          clearTimeout(timer)
        }
        const check = () => {
          const hit = lines.find(pred)
          if (hit) {
            finish()
            resolve(hit)
          }
        }
        const timer = setTimeout(() => {
          finish()
          reject(new Error(`${name}: no expected line within ${timeoutMs} ms; stderr: ${stderr}`))
        }, timeoutMs)
        wakers.add(check)
        check()
        void exited.then(() => {
          if (!wakers.has(check)) return
          finish()
          reject(new Error(`${name} exited early; stderr: ${stderr}`))
        })
      }),
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    },
  }
}
