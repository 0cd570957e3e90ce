import { spawn } from 'node:child_process'
import { startChild, type Child } from '../../src/cli/quickstart/processes.js'

/** A background process of the example, with the JSON lines it printed. */
export type Proc = Child

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
export const start = startChild
