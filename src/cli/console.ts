import type { Command } from 'commander'
import pino from 'pino'
import { startConsole } from '../console/server/server.js'
import { adminPath, loadAdmin, adminExpiryWarning, type AdminOptions } from './admin.js'
import { untilSignal } from './signals.js'

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
    .option('--json', 'logs are JSON lines already; accepted for uniformity')
    .action(async (opts: AdminOptions & { listen: string; outbox?: string }) => {
      const path = adminPath(opts)
      const admin = await loadAdmin(path)
      const warning = adminExpiryWarning(admin, path)
      if (warning) process.stderr.write(`${warning}\n`)
      const log = pino({ base: { component: 'console' } })
      const running = await startConsole({ admin, listen: opts.listen, outbox: opts.outbox })
      // The login URL is a secret of this terminal: printed once, never logged.
      log.info({ url: running.url, network: admin.network }, 'console listening')
      process.stdout.write(`open ${running.loginUrl}\n`)
      await untilSignal()
      log.info('console stopping')
      await running.close()
    })
}
