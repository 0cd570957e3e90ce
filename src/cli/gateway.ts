import type { Command } from 'commander'
import pino from 'pino'
import { logRedactions } from '../controller/run.js'
import { loadGatewayConfig } from '../gateway/config.js'
import { startGateway } from '../gateway/server.js'
import { connect } from '../sdk/context.js'
import { loadIdentity } from '../sdk/identity-file.js'
import { untilSignal } from './signals.js'

interface RunOptions {
  identity: string
  config: string
}

/** `zerohook gateway run`: the public HTTPS ingress for providers that cannot run the SDK. */
export function gatewayCommands(program: Command): void {
  const gateway = program
    .command('gateway')
    .description('Public HTTPS ingress: verify provider webhooks, forward them over the overlay')
  gateway
    .command('run')
    .description('Run the gateway until SIGINT or SIGTERM (queued webhooks survive a restart)')
    .requiredOption(
      '--identity <file>',
      "the gateway's identity file (may dial the target services)",
    )
    .requiredOption('--config <file>', 'gateway YAML: listen, tls, state, routes (see docs)')
    .option('--json', 'logs are JSON lines already; accepted for uniformity')
    .action(async (opts: RunOptions) => {
      // Configuration first: a bad file fails before anything connects or listens.
      const config = loadGatewayConfig(opts.config)
      const log = pino({ base: { component: 'gateway' }, redact: logRedactions })
      const zh = await connect(await loadIdentity(opts.identity), { log })
      const dispatcher = zh.dispatcher()
      try {
        const running = await startGateway({ config, dispatcher, log })
        log.info(
          {
            address: running.address,
            port: running.port,
            routes: config.routes.map((r) => ({
              path: r.path,
              scheme: r.scheme,
              service: r.target.service,
            })),
          },
          'gateway listening',
        )
        await untilSignal()
        log.info('gateway stopping')
        await running.close()
      } finally {
        await dispatcher.close().catch(() => undefined)
        await zh.close()
      }
    })
}
