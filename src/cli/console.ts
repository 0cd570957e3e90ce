import { readFile } from 'node:fs/promises'
import type { Command } from 'commander'
import { ZhError } from '../errors.js'
import type { GatewayAdminTarget } from '../console/server/gateway-deliveries.js'
import pino from 'pino'
import { startConsole } from '../console/server/server.js'
import { adminPath, loadAdmin, adminExpiryWarning, type AdminOptions } from './admin.js'
import { untilSignal } from './signals.js'

interface ConsoleCliOptions extends AdminOptions {
  listen: string
  outbox?: string
  gateway?: string
  gatewayTokenFile?: string
}

// The token from a file or the environment, never from the command line (ps shows it).
async function gatewayTarget(opts: ConsoleCliOptions): Promise<GatewayAdminTarget> {
  let token = process.env.ZEROHOOK_GATEWAY_TOKEN
  if (opts.gatewayTokenFile !== undefined) {
    token = await readFile(opts.gatewayTokenFile, 'utf8').catch((cause: unknown) => {
      throw new ZhError('ZH_CONSOLE_GATEWAY_INVALID', `cannot read ${opts.gatewayTokenFile}`, {
        cause,
      })
    })
  }
  if (!token) throw new ZhError('ZH_CONSOLE_GATEWAY_INVALID', 'no admin token given')
  return { url: opts.gateway!, token: token.replace(/\r?\n$/, '') }
}

/** `zerohook console`: the web console on loopback, acting with the admin identity. */
export function consoleCommand(program: Command): void {
  program
    .command('console')
    .description(
      'Serve the web console on loopback; prints a one-time login URL (the browser never holds the admin key)',
    )
    .option('--admin <file>', 'admin identity file (default: $ZEROHOOK_ADMIN, else DIR/admin.json)')
    .option('--dir <dir>', 'controller directory whose admin.json to use')
    .option(
      '--listen <host:port>',
      'loopback address to serve on (port 0: any free port)',
      '127.0.0.1:0',
    )
    .option(
      '--outbox <file>',
      "a durable sender's SQLite outbox: shows its deliveries, replays them",
    )
    .option(
      '--gateway <url>',
      "a gateway's loopback admin URL (logged as `admin` at its start): shows its queue, replays",
    )
    .option(
      '--gateway-token-file <file>',
      "file holding the gateway's admin token (default: $ZEROHOOK_GATEWAY_TOKEN)",
    )
    .option('--json', 'logs are JSON lines already; accepted for uniformity')
    .action(async (opts: ConsoleCliOptions) => {
      const path = adminPath(opts)
      const admin = await loadAdmin(path)
      const warning = adminExpiryWarning(admin, path)
      if (warning) process.stderr.write(`${warning}\n`)
      const log = pino({ base: { component: 'console' } })
      const gateway = opts.gateway === undefined ? undefined : await gatewayTarget(opts)
      const running = await startConsole({
        admin,
        listen: opts.listen,
        outbox: opts.outbox,
        ...(gateway ? { gateway } : {}),
      })
      // The login URL is a secret of this terminal: printed once, never logged.
      log.info({ url: running.url, network: admin.network }, 'console listening')
      process.stdout.write(`open ${running.loginUrl}\n`)
      await untilSignal()
      log.info('console stopping')
      await running.close()
    })
}
