import { InvalidArgumentError, type Command } from 'commander'
import { initController } from '../controller/init.js'
import { joinController } from '../controller/join.js'
import { migrateStore } from '../controller/migrate.js'
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
      '--store <url>',
      'a PostgreSQL URL to keep the network in, for several replicas (default: SQLite in --dir)',
    )
    .option(
      '--store-key-file <file>',
      'the key sealing the CA and signing keys in --store (default $ZEROHOOK_STORE_KEY; with neither, a new one is written to DIR/store.key)',
    )
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
        store?: string
        storeKeyFile?: string
        json?: boolean
      },
    ) => {
      if (opts.keyType !== 'p256' && opts.keyType !== 'ed25519')
        throw new ZhError('ZH_USAGE', '--key-type must be p256 or ed25519')
      warnPasswordInUrl(opts.store, '--store')
      const r = await initController({
        dir: opts.dir,
        network: opts.name,
        listen: opts.listen,
        advertise: opts.advertise,
        keyType: opts.keyType,
        caTtl: opts.caTtl,
        lifetimes: lifetimesOf(opts),
        store: opts.store,
        storeKeyFile: opts.storeKeyFile,
      })
      emit(opts.json, r, () => {
        process.stdout.write(`network "${r.config.network}" created in ${opts.dir}\n`)
        process.stdout.write(`admin identity: ${r.adminFile} (keep it secret)\n`)
        if (r.storeKeyFile)
          process.stdout.write(
            `store key: ${r.storeKeyFile} (secret; every replica needs it: --store-key-file or ZEROHOOK_STORE_KEY)\n`,
          )
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
      '--store <url>',
      'override the store in controller.json (postgres://... or sqlite:PATH)',
    )
    .option(
      '--store-key-file <file>',
      'the store key of a shared store (default $ZEROHOOK_STORE_KEY, else DIR/store.key)',
    )
    .option(
      '--knock-rotation <seconds>',
      "how often the network's knock key is replaced (default 86400; at least the grant lifetime)",
      (value: string) => {
        if (!/^\d+$/.test(value) || Number(value) < 1 || Number(value) > 365 * 86_400)
          throw new InvalidArgumentError('ZH_USAGE: whole seconds from 1 to 31536000')
        return Number(value)
      },
    )
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
    async (
      opts: LifetimeFlags & {
        dir: string
        listen?: string
        store?: string
        storeKeyFile?: string
        recordRetention?: number
        knockRotation?: number
      },
    ) => {
      warnPasswordInUrl(opts.store, '--store')
      const running = await runController({
        dir: opts.dir,
        listen: opts.listen,
        store: opts.store,
        storeKeyFile: opts.storeKeyFile,
        settings: {
          ...lifetimesOf(opts),
          ...(opts.recordRetention === undefined ? {} : { recordRetention: opts.recordRetention }),
          ...(opts.knockRotation === undefined ? {} : { knockRotation: opts.knockRotation }),
        },
      })
      await untilSignal()
      running.ctx.log.info('controller stopping')
      await running.close()
    },
  )

  group
    .command('join')
    .description(
      'Add a replica to a network kept in PostgreSQL: its own directory and TLS certificate, the shared CA',
    )
    .requiredOption('--dir <dir>', 'a new directory for this replica (created, mode 0700)')
    .requiredOption('--store <url>', 'the PostgreSQL URL the network lives in')
    .option('--store-key-file <file>', 'the store key (default $ZEROHOOK_STORE_KEY)')
    .option(
      '--listen <host:port>',
      'address to listen on (port 0: any free port)',
      '127.0.0.1:1280',
    )
    .option('--advertise <host:port>', 'address endpoints use to reach this replica')
    .option('--json', 'machine-readable output')
    .action(
      async (opts: {
        dir: string
        store: string
        storeKeyFile?: string
        listen: string
        advertise?: string
        json?: boolean
      }) => {
        warnPasswordInUrl(opts.store, '--store')
        const r = await joinController(opts)
        emit(opts.json, r, () => {
          process.stdout.write(`replica of network "${r.config.network}" made in ${opts.dir}\n`)
          process.stdout.write(`next: zerohook controller run --dir ${opts.dir}\n`)
        })
      },
    )

  group
    .command('migrate')
    .description(
      'Move a network from its SQLite controller to PostgreSQL, keeping every identity and certificate (stop the controller first)',
    )
    .requiredOption('--from <sqlite:DIR>', 'the controller directory, as sqlite:DIR')
    .requiredOption('--to <url>', 'an empty PostgreSQL database')
    .option(
      '--store-key-file <file>',
      'the store key (default $ZEROHOOK_STORE_KEY; with neither, a new one is written to DIR/store.key)',
    )
    .option('--json', 'machine-readable output')
    .action(async (opts: { from: string; to: string; storeKeyFile?: string; json?: boolean }) => {
      warnPasswordInUrl(opts.to, '--to')
      const r = await migrateStore(opts)
      emit(opts.json, r, () => {
        const rows = Object.entries(r.rows).map(([t, n]) => `${t} ${n}`)
        process.stdout.write(`network "${r.network}" moved: ${rows.join(', ')}\n`)
        if (r.storeKeyFile)
          process.stdout.write(`store key: ${r.storeKeyFile} (secret; every replica needs it)\n`)
        process.stdout.write(`next: zerohook controller run --dir ${opts.from.slice(7)}\n`)
      })
    })
}

/**
 * A database URL with a password on the command line is visible to other users (`ps`, shell
 * history): says so on stderr, and how to keep it off (the PostgreSQL client reads PGPASSWORD
 * and ~/.pgpass when the URL has none).
 */
function warnPasswordInUrl(url: string | undefined, flag: string): void {
  if (url === undefined) return
  let password = ''
  try {
    password = new URL(url).password
  } catch {
    return // not a URL: the store refuses it with its own code
  }
  if (password !== '')
    process.stderr.write(
      `warning: the password in ${flag} is visible to other users of this machine (ps, shell history); leave it out of the URL and set PGPASSWORD or ~/.pgpass\n`,
    )
}
