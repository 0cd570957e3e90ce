import { CommanderError } from 'commander'
import { isZhError } from '../errors.js'
import { buildProgram } from './program.js'

/** Codes that mean the command line itself was wrong (exit 2). */
const USAGE_CODES = new Set<string>(['ZH_USAGE', 'ZH_CONFIG_LIFETIME_INVALID'])

/** Exit codes: 0 success, 1 failure (`ZH_CODE: message` on stderr), 2 usage error. */
export async function run(argv: string[]): Promise<number> {
  try {
    await (await buildProgram(argv)).parseAsync(argv)
    return 0
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
        ? 0
        : 2
    }
    if (isZhError(err)) {
      process.stderr.write(`${err.code}: ${err.message}\n`)
      return USAGE_CODES.has(err.code) ? 2 : 1
    }
    process.stderr.write(`ZH_INTERNAL: ${(err as Error).stack ?? String(err)}\n`)
    return 1
  }
}
