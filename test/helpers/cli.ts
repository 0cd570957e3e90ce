import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { createInterface } from 'node:readline'
import type { Readable } from 'node:stream'

/** The built CLI, exactly what `npx zerohook` runs. */
export const CLI = resolve(import.meta.dirname, '../../dist/cli/main.js')

/** What a finished CLI run printed. */
export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `zerohook ARGS` to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolvePromise({ code, stdout, stderr }))
  })
}

/** Runs a CLI command that must succeed and returns its parsed --json output. */
export async function cliJson<T>(args: string[]): Promise<T> {
  const r = await runCli([...args, '--json'])
  if (r.code !== 0) throw new Error(`zerohook ${args.join(' ')} exited ${r.code}: ${r.stderr}`)
  return JSON.parse(r.stdout) as T
}

/** A long-running zerohook process (controller, router, tunnel...). */
export interface Daemon {
  child: ChildProcess
  pid: number
  /** Every JSON log line so far. */
  lines: Record<string, unknown>[]
  /** Waits for a log line matching `pred`. */
  waitFor(
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>
  /** SIGTERM, then wait for exit; returns the exit code. */
  stop(): Promise<number | null>
}

const daemons = new Set<Daemon>()

// A test or bench process that dies of an uncaught error must not leave its daemons running.
process.once('exit', () => {
  for (const d of daemons) d.child.kill('SIGKILL')
})

/** Starts `zerohook ARGS` in the background, collecting its JSON log lines from stdout. */
export function startDaemon(args: string[], env?: NodeJS.ProcessEnv): Daemon {
  return startProcess([CLI, ...args], { env })
}

/**
 * Starts `node ARGV` in the background (stopped by stopAllDaemons), collecting its JSON lines;
 * `stdin: true` leaves its standard input open for the test to write to.
 */
export function startProcess(
  argv: string[],
  opts: { stdin?: boolean; env?: NodeJS.ProcessEnv } = {},
): Daemon {
  const args = argv
  // stdout and stderr are pipes whatever stdin is.
  const child = spawn(process.execPath, argv, {
    stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
  }) as ChildProcess & { stdout: Readable; stderr: Readable }
  const lines: Record<string, unknown>[] = []
  const waiters = new Set<() => void>()
  let stderr = ''
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
  createInterface({ input: child.stdout }).on('line', (text) => {
    try {
      lines.push(JSON.parse(text) as Record<string, unknown>)
    } catch {
      lines.push({ text })
    }
    for (const w of waiters) w()
  })
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  const daemon: Daemon = {
    child,
    pid: child.pid!,
    lines,
    waitFor: (pred, timeoutMs = 20_000) =>
      new Promise((resolveLine, reject) => {
        const check = () => {
          const hit = lines.find(pred)
          if (hit) {
            waiters.delete(check)
            clearTimeout(timer)
            resolveLine(hit)
          }
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(
            new Error(
              `timed out waiting for a log line of zerohook ${args.join(' ')}; stderr: ${stderr}`,
            ),
          )
        }, timeoutMs)
        waiters.add(check)
        check()
        void exited.then((code) => {
          if (waiters.has(check)) {
            waiters.delete(check)
            clearTimeout(timer)
            reject(new Error(`zerohook ${args.join(' ')} exited ${code}; stderr: ${stderr}`))
          }
        })
      }),
    stop: async () => {
      daemons.delete(daemon)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      return exited
    },
  }
  daemons.add(daemon)
  return daemon
}

/** Stops every daemon still running (call in afterAll/afterEach). */
export async function stopAllDaemons(): Promise<void> {
  await Promise.all([...daemons].map((d) => d.stop()))
}

/** A temporary directory, removed by the returned cleanup. */
export async function tempDir(
  prefix = 'zh-test-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}
