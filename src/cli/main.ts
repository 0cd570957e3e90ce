#!/usr/bin/env node
import { readFileSync } from 'node:fs'

/**
 * The `zerohook` entry point. `zerohook`, `zerohook --help` and `zerohook help` print the help
 * the build wrote to help.txt (from the full command tree, see write-help.ts) without loading
 * any command, commander included: it is the first thing a new user runs, and it should take
 * no longer than starting Node.
 */
const args = process.argv.slice(2)
const helpOnly =
  args.length === 0 || (args.length === 1 && ['--help', '-h', 'help'].includes(args[0]!))
const help = helpOnly ? readHelp() : undefined
// Like commander: asked for, the help is the answer (stdout); with no command, a hint (stderr).
if (help !== undefined) (args.length === 0 ? process.stderr : process.stdout).write(help)
else process.exitCode = await (await import('./run.js')).run(process.argv)

function readHelp(): string | undefined {
  try {
    return readFileSync(new URL('help.txt', import.meta.url), 'utf8')
  } catch {
    return undefined // a build without it: commander prints the help
  }
}
