import type { Command } from 'commander'
import { initController } from '../controller/init.js'
import { runController } from '../controller/run.js'
import { ZhError } from '../errors.js'
import { emit } from './output.js'
import { untilSignal } from './signals.js'

/** `zerohook controller init|run` */
export function controllerCommands(program: Command): void {
  const group = program.command('controller').description('Create and run the network controller')

  group
    .command('init')
    .description('Create a network: CA, controller certificate, signing key, store, admin identity')
    .requiredOption('--dir <dir>', 'directory for the controller state (created, mode 0700)')
    .option('--name <network>', 'network name', 'zerohook')
    .option(
      '--listen <host:port>',
      'address to listen on (port 0: any free port)',
      '127.0.0.1:1280',
    )
    .option(
      '--advertise <host:port>',
      'address endpoints use to reach the controller (default: the listen address)',
    )
    .option('--key-type <type>', 'CA key type: p256 or ed25519', 'p256')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: {
        dir: string
        name: string
        listen: string
        advertise?: string
        keyType: string
        json?: boolean
      }) => {
        if (opts.keyType !== 'p256' && opts.keyType !== 'ed25519')
          throw new ZhError('ZH_USAGE', '--key-type must be p256 or ed25519')
        const r = await initController({
          dir: opts.dir,
          network: opts.name,
          listen: opts.listen,
          advertise: opts.advertise,
          keyType: opts.keyType,
        })
        emit(opts.json, r, () => {
          process.stdout.write(`network "${r.config.network}" created in ${opts.dir}\n`)
          process.stdout.write(`admin identity: ${r.adminFile} (keep it secret)\n`)
          process.stdout.write(`next: zerohook controller run --dir ${opts.dir}\n`)
        })
      },
    )

  group
    .command('run')
    .description('Serve the controller API until SIGINT or SIGTERM')
    .requiredOption('--dir <dir>', 'directory made by `controller init`')
    .option('--listen <host:port>', 'override the listen address')
    .action(async (opts: { dir: string; listen?: string }) => {
      const running = await runController({ dir: opts.dir, listen: opts.listen })
      await untilSignal()
      running.ctx.log.info('controller stopping')
      await running.close()
    })
}
