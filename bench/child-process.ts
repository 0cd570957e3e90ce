import { fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'

/** A bench helper running in a process of its own, started with {@link startChild}. */
export interface Child<Ready> {
  /** What the child reported once ready. */
  ready: Ready
  pid: number
  /** SIGTERM, then wait for the exit. */
  stop: () => Promise<void>
}

/**
 * Forks the module at `moduleUrl` as a child (`--child`), sends it `start` and waits for its
 * first message, the `Ready` it reports. The module calls {@link onChildStart} to serve.
 *
 * @example
 * const relay = await startChild<{ port: number }>(import.meta.url, start, 'bench relay')
 */
export async function startChild<Ready>(
  moduleUrl: string,
  start: unknown,
  label: string,
): Promise<Child<Ready>> {
  const child = fork(fileURLToPath(moduleUrl), ['--child'], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const ready = new Promise<Ready>((resolve, reject) => {
    child.once('message', (m) => resolve(m as Ready))
    child.once('exit', (code) => reject(new Error(`${label} exited with ${code}`)))
  })
  child.send(start as object)
  return {
    ready: await ready,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r))
      child.kill('SIGTERM')
      await exited
    },
  }
}

/** In a module forked by {@link startChild}: runs `serve` with the parent's start message. */
export function onChildStart<Start>(serve: (start: Start) => unknown): void {
  if (process.argv[2] === '--child') process.once('message', (m) => void serve(m as Start))
}
