#!/usr/bin/env node
import { Command, CommanderError } from 'commander'
import { isZhError } from '../errors.js'
import { controllerCommands } from './controller.js'
import { enrollCommands } from './enroll.js'
import { entityCommands } from './entities.js'
import { identityCommands } from './identity.js'
import { policyCommands } from './policy.js'
import { quickstartCommand } from './quickstart.js'
import { routerRunCommand } from './router.js'
import { routerLinksCommand } from './router-links.js'
import { secretCommands } from './secret.js'

/** Builds the `zerohook` command tree; cli/ only wires things together. */
export function buildProgram(): Command {
  const program = new Command('zerohook')
    .description('Zero trust webhooks: dark receivers behind an identity-based overlay')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError()
  quickstartCommand(program)
  controllerCommands(program)
  identityCommands(program)
  entityCommands(
    program,
    { key: 'service', path: '/v1/services', enrolls: false, canUpdate: true },
    'Manage services',
  )
  policyCommands(program)
  const router = entityCommands(
    program,
    { key: 'router', path: '/v1/routers', enrolls: true, canUpdate: false },
    'Manage and run routers',
  )
  routerRunCommand(router)
  routerLinksCommand(router)
  enrollCommands(program)
  secretCommands(program)
  for (const cmd of allCommands(program)) cmd.exitOverride()
  return program
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)])
}

/** Exit codes: 0 success, 1 failure (`ZH_CODE: message` on stderr), 2 usage error. */
async function main(argv: string[]): Promise<number> {
  try {
    await buildProgram().parseAsync(argv)
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
      return err.code === 'ZH_USAGE' ? 2 : 1
    }
    process.stderr.write(`ZH_INTERNAL: ${(err as Error).stack ?? String(err)}\n`)
    return 1
  }
}

process.exitCode = await main(process.argv)
