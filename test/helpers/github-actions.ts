import { spawn } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'

/** The committed, bundled action: what a workflow's `uses: .../action` runs. */
export const ACTION_BUNDLE = resolve(import.meta.dirname, '../../action/dist/index.js')

/** What a run of the action printed and wrote. */
export interface ActionRun {
  code: number | null
  stdout: string
  stderr: string
  outputs: Record<string, string>
}

/**
 * Runs the bundled action with `node`, in an environment like a GitHub runner's: each input as
 * `INPUT_<NAME>` (upper case, hyphens kept), the event JSON at `GITHUB_EVENT_PATH`, and outputs
 * collected from the `GITHUB_OUTPUT` file.
 */
export async function runAction(
  dir: string,
  inputs: Record<string, string>,
  event: { name: string; payload: unknown },
  env: NodeJS.ProcessEnv = {},
): Promise<ActionRun> {
  const eventPath = join(dir, `event-${Date.now()}.json`)
  const outputPath = join(dir, `output-${Date.now()}.txt`)
  await writeFile(eventPath, JSON.stringify(event.payload))
  await writeFile(outputPath, '')
  const inputEnv = Object.fromEntries(
    Object.entries(inputs).map(([name, value]) => [`INPUT_${name.toUpperCase()}`, value]),
  )
  // Not process.env: a developer's own INPUT_* or GITHUB_* must not leak into the run.
  const childEnv: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputPath,
    ...inputEnv,
    ...env,
  }
  const { code, stdout, stderr } = await new Promise<Omit<ActionRun, 'outputs'>>((done, fail) => {
    const child = spawn(process.execPath, [ACTION_BUNDLE], { cwd: dir, env: childEnv })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', fail)
    child.on('close', (code) => done({ code, stdout, stderr }))
  })
  return { code, stdout, stderr, outputs: parseOutputs(await readFile(outputPath, 'utf8')) }
}

/** Reads a `GITHUB_OUTPUT` file: `name<<DELIMITER\nvalue\nDELIMITER` blocks, or `name=value`. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const value: string[] = []
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i]!)
      outputs[name!] = value.join('\n')
    } else if (line.includes('=')) {
      outputs[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return outputs
}
