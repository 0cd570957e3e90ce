import { Command } from 'commander'

/** Adds one command group to the program. */
type Register = (program: Command) => void

/**
 * The command groups, loaded on demand: a run imports only the group it invokes (the
 * controller's and the router's modules take most of a second to load), and `--help` loads all.
 */
const groups: { names: string[]; load: () => Promise<Register> }[] = [
  {
    names: ['quickstart'],
    load: async () => (await import('./quickstart/index.js')).quickstartCommand,
  },
  { names: ['controller'], load: async () => (await import('./controller.js')).controllerCommands },
  { names: ['identity'], load: async () => (await import('./identity.js')).identityCommands },
  {
    names: ['service'],
    load: async () => {
      const { entityCommands } = await import('./entities.js')
      return (program) =>
        entityCommands(
          program,
          { key: 'service', path: '/v1/services', enrolls: false, canUpdate: true },
          'Manage services',
        )
    },
  },
  { names: ['policy'], load: async () => (await import('./policy.js')).policyCommands },
  {
    names: ['router-policy'],
    load: async () => (await import('./router-policy.js')).routerPolicyCommands,
  },
  {
    names: ['router'],
    load: async () => {
      const [{ entityCommands }, { routerRunCommand }, { routerLinksCommand }] = await Promise.all([
        import('./entities.js'),
        import('./router.js'),
        import('./router-links.js'),
      ])
      return (program) => {
        const router = entityCommands(
          program,
          { key: 'router', path: '/v1/routers', enrolls: true, canUpdate: false },
          'Manage and run routers',
        )
        routerRunCommand(router)
        routerLinksCommand(router)
      }
    },
  },
  { names: ['status'], load: async () => (await import('./status.js')).statusCommand },
  { names: ['admin'], load: async () => (await import('./admin-renew.js')).adminCommands },
  { names: ['enroll', 'grants'], load: async () => (await import('./enroll.js')).enrollCommands },
  { names: ['secret'], load: async () => (await import('./secret.js')).secretCommands },
  { names: ['send'], load: async () => (await import('./send.js')).sendCommand },
  { names: ['verify'], load: async () => (await import('./verify.js')).verifyCommand },
  { names: ['tunnel'], load: async () => (await import('./tunnel.js')).tunnelCommands },
  { names: ['gateway'], load: async () => (await import('./gateway.js')).gatewayCommands },
  { names: ['console'], load: async () => (await import('./console.js')).consoleCommand },
]

/** Builds the `zerohook` command tree for `argv`; cli/ only wires things together. */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
  const program = new Command('zerohook')
    .description('Zero trust webhooks: dark receivers behind an identity-based overlay')
    .version('0.1.0')
    .exitOverride()
    .showHelpAfterError()
  const first = argv.slice(2).find((arg) => !arg.startsWith('-'))
  const invoked = groups.filter((g) => first !== undefined && g.names.includes(first))
  const versionOnly = first === undefined && argv.some((a) => a === '--version' || a === '-V')
  const load = invoked.length > 0 ? invoked : versionOnly ? [] : groups
  for (const group of load) (await group.load())(program)
  for (const cmd of allCommands(program)) cmd.exitOverride()
  return program
}

function allCommands(cmd: Command): Command[] {
  return cmd.commands.flatMap((c) => [c, ...allCommands(c)])
}

/** The top-level help, with every group loaded: what `dist/cli/help.txt` holds. */
export async function fullHelp(): Promise<string> {
  return (await buildProgram(['node', 'zerohook'])).helpInformation()
}
