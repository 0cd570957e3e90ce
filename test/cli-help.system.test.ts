import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { fullHelp } from '../src/cli/program.js'
import { CLI } from './helpers/cli.js'

const run = promisify(execFile)

describe('the top-level help', () => {
  it('is the full command tree, printed without loading the commands', async () => {
    const expected = await fullHelp()
    expect(expected).toContain('send [options] [stdin]')
    const asked = await run(process.execPath, [CLI, '--help'])
    expect(asked.stdout).toBe(expected)
    const bare = await run(process.execPath, [CLI])
    expect(bare.stderr).toBe(expected)
  })

  it('of a command still comes from commander', async () => {
    const { stdout } = await run(process.execPath, [CLI, 'send', '--help'])
    expect(stdout).toContain('--grant-cache <file>')
    expect(stdout).toContain('--timing')
  })
})
