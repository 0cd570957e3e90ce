import { InvalidArgumentError, type Command } from 'commander'
import { initController } from '../controller/init.js'
import { LIFETIME_RANGES, parseLifetime } from '../controller/lifetimes.js'
import { runController } from '../controller/run.js'
import { ZhError, isZhError } from '../errors.js'
import { emit } from './output.js'
import { untilSignal } from './signals.js'

/** Parses a lifetime flag; out of range is a usage error naming the code and the range. */
function lifetime(name: keyof typeof LIFETIME_RANGES) {
  return (value: string): number => {
    try {
      return parseLifetime(name, value)
    } catch (err) {
      if (isZhError(err)) throw new InvalidArgumentError(`${err.code}: ${err.message}`)
      throw err
    }
  }
}

interface LifetimeFlags {
  grantTtl?: number
  certTtl?: number
  controllerCertTtl?: number
}

/** The lifetime flags both `init` and `run` take. */
function withLifetimes(cmd: Command, defaults: string): Command {
  return cmd
    .option(
      '--grant-ttl <seconds>',
      `grant lifetime (${defaults} 900; ${LIFETIME_RANGES.grantTtl.join('-')})`,
      lifetime('grantTtl'),
    )
    .option(
      '--cert-ttl <seconds>',
      `endpoint and router certificate lifetime (${defaults} 2592000, 30 days)`,
      lifetime('certTtl'),
    )
    .option(
      '--controller-cert-ttl <seconds>',
      `the controller's TLS and admin certificate lifetime (${defaults} 31536000, 365 days)`,
      lifetime('controllerCertTtl'),
    )
}

function lifetimesOf(opts: LifetimeFlags) {
  return {
    ...(opts.grantTtl === undefined ? {} : { grantTtl: opts.grantTtl }),
    ...(opts.certTtl === undefined ? {} : { certTtl: opts.certTtl }),
    ...(opts.controllerCertTtl === undefined ? {} : { controllerCertTtl: opts.controllerCertTtl }),
  }
}

/** `zerohook controller init|run` */
export function controllerCommands(program: Command): void {
  const group = program.command('controller').description('Create and run the network controller')

  const init = group
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
    .option(
      '--ca-ttl <seconds>',
      'lifetime of the CA, which nothing renews (default 315360000, 10 years)',
      lifetime('caTtl'),
    )
    .option('--json', 'machine-readable output')
  withLifetimes(init, 'default').action(
    async (
      opts: LifetimeFlags & {
        dir: string
        name: string
        listen: string
        advertise?: string
        keyType: string
        caTtl?: number
        json?: boolean
      },
    ) => {
      if (opts.keyType !== 'p256' && opts.keyType !== 'ed25519')
        throw new ZhError('ZH_USAGE', '--key-type must be p256 or ed25519')
      const r = await initController({
        dir: opts.dir,
        network: opts.name,
        listen: opts.listen,
        advertise: opts.advertise,
        keyType: opts.keyType,
        caTtl: opts.caTtl,
        lifetimes: lifetimesOf(opts),
      })
      emit(opts.json, r, () => {
        process.stdout.write(`network "${r.config.network}" created in ${opts.dir}\n`)
        process.stdout.write(`admin identity: ${r.adminFile} (keep it secret)\n`)
        process.stdout.write(`next: zerohook controller run --dir ${opts.dir}\n`)
      })
    },
  )

  const run = group
    .command('run')
    .description('Serve the controller API until SIGINT or SIGTERM')
    .requiredOption('--dir <dir>', 'directory made by `controller init`')
    .option('--listen <host:port>', 'override the listen address')
    .option(
      '--record-retention <seconds>',
      'keep records of expired certificates and spent enrollment tokens this long (default 604800, 7 days)',
      (value: string) => {
        if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 3650 * 86_400)
          throw new InvalidArgumentError('ZH_USAGE: whole seconds from 1 to 315360000')
        return Number(value)
      },
    )
  withLifetimes(run, 'default: as set at init, else').action(
    async (opts: LifetimeFlags & { dir: string; listen?: string; recordRetention?: number }) => {
      const running = await runController({
        dir: opts.dir,
        listen: opts.listen,
        settings: {
          ...lifetimesOf(opts),
          ...(opts.recordRetention === undefined ? {} : { recordRetention: opts.recordRetention }),
        },
      })
      await untilSignal()
      running.ctx.log.info('controller stopping')
      await running.close()
    },
  )
}
