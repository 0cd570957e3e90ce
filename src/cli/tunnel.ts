import { join } from 'node:path'
import type { Command } from 'commander'
import pino from 'pino'
import { logRedactions } from '../controller/run.js'
import { ensurePrivateDir } from '../private-files.js'
import { SECRET_ENV, readSecrets, secretFlags } from './secret-flags.js'
import { ZhError } from '../errors.js'
import { connect } from '../sdk/context.js'
import { fileGrantCache } from '../sdk/grant-cache.js'
import { loadIdentity, saveIdentity } from '../sdk/identity-file.js'
import { hostTunnel } from '../tunnel/host.js'
import { interceptTunnel } from '../tunnel/intercept.js'
import { parseListen, parseTarget } from '../tunnel/target.js'
import { answersChallenges } from '../webhooks/middleware/challenge.js'
import { fileLearnedSecret } from '../webhooks/middleware/learned-secret.js'
import { getScheme } from '../webhooks/registry.js'
import { createMemoryReplayStore } from '../webhooks/replay/memory.js'
import { createSqliteReplayStore } from '../webhooks/replay/sqlite.js'
import type { ReplayStore } from '../webhooks/replay/store.js'
import { startScavengePacing } from '../wire/young-gc.js'
import { untilSignal } from './signals.js'

export { SECRET_ENV }

interface HostOptions {
  identity: string
  service: string
  to: string
  verify?: string
  secret: string[]
  secretFile?: string
  publicKey: string[]
  state?: string
  maxBody: number
  upstreamTimeout: number
  tolerance?: number
  publicUrl?: string
  allowRemoteTarget?: boolean
  grace: number
}

interface InterceptOptions {
  identity: string
  service: string
  listen: string
  http?: boolean
  grace: number
}

const collect = (value: string, all: string[]) => [...all, value]

/** `zerohook tunnel host` and `zerohook tunnel intercept`, both until SIGINT or SIGTERM. */
export function tunnelCommands(program: Command): void {
  const group = program
    .command('tunnel')
    .description('Host a service for a local app, or intercept a local port to dial one')
  const [secretFlag, secretFileFlag] = secretFlags('webhook secret')
  group
    .command('host')
    .description('Bind a service and forward its requests to a local HTTP app (no open port)')
    .requiredOption('--identity <file>', 'identity file that may bind the service')
    .requiredOption('--service <name>', 'service to bind')
    .requiredOption('--to <url>', 'the local app, http://HOST:PORT (loopback)')
    .option('--verify <scheme>', 'verify webhooks first: standard, github, stripe, slack...')
    .addOption(secretFlag)
    .addOption(secretFileFlag)
    .option(
      '--public-key <key>',
      'Ed25519 public key (standard v1a, discord), repeatable',
      collect,
      [],
    )
    .option(
      '--state <dir>',
      'keep the replay store in DIR/replay.db (default: in memory), and a secret a handshake hands over (Asana) in DIR/learned.secret',
    )
    .option(
      '--max-body <bytes>',
      'request body cap, bytes (k/m suffix: KiB/MiB)',
      byteSize,
      1 << 20,
    )
    .option(
      '--upstream-timeout <ms>',
      'longest silence from the app before 504',
      wholeNumber,
      60_000,
    )
    .option('--tolerance <seconds>', "timestamp tolerance (default: the scheme's)", wholeNumber)
    .option('--public-url <url>', 'public base URL the provider calls (Twilio signs it)')
    .option('--allow-remote-target', 'allow a --to host that is not loopback (a sidecar network)')
    .option('--grace <ms>', 'how long in-flight requests may finish on stop', wholeNumber, 5_000)
    .option('--json', 'logs are JSON lines already; accepted for symmetry')
    .action(async (opts: HostOptions) => {
      const target = parseTarget(opts.to, { allowRemote: opts.allowRemoteTarget })
      const verify = opts.verify ? await verifyOptions(opts) : undefined
      const secretGiven = opts.secret.length > 0 || opts.secretFile !== undefined
      if (!opts.verify && (secretGiven || opts.publicKey.length > 0 || opts.state))
        throw new ZhError(
          'ZH_USAGE',
          '--secret, --secret-file, --public-key and --state need --verify SCHEME',
        )
      const log = tunnelLog()
      const zh = await connectIdentity(opts.identity, log)
      const tunnel = await hostTunnel(zh, {
        service: opts.service,
        target,
        verify,
        maxBodyBytes: opts.maxBody,
        upstreamTimeoutMs: opts.upstreamTimeout,
        graceMs: opts.grace,
        log,
      }).catch(async (err: unknown) => {
        await zh.close()
        throw err
      })
      log.info(
        { service: opts.service, to: target.authority, verify: opts.verify ?? null },
        'tunnel host ready',
      )
      await untilSignal()
      log.info({ inFlight: tunnel.inFlight() }, 'tunnel stopping')
      await tunnel.close()
      await zh.close()
      await verify?.replay.close()
      log.info('tunnel stopped')
    })

  group
    .command('intercept')
    .description(
      'Listen on a local port and pipe each connection into a dial of a service (--http: forward HTTP requests over pooled circuits)',
    )
    .requiredOption('--identity <file>', 'identity file that may dial the service')
    .requiredOption('--service <name>', 'service to dial')
    .requiredOption('--listen <host:port>', 'local address (port 0: any free port)')
    .option(
      '--http',
      'speak HTTP locally and reuse pooled circuits across connections (default: raw bytes)',
    )
    .option('--grace <ms>', 'how long open connections may finish on stop', wholeNumber, 5_000)
    .option('--json', 'logs are JSON lines already; accepted for symmetry')
    .action(async (opts: InterceptOptions) => {
      const { host, port } = parseListen(opts.listen)
      const log = tunnelLog()
      const zh = await connectIdentity(opts.identity, log)
      const tunnel = await interceptTunnel((service) => zh.dial(service), {
        service: opts.service,
        host,
        port,
        http: opts.http === true,
        graceMs: opts.grace,
        log,
      }).catch(async (err: unknown) => {
        await zh.close()
        throw err
      })
      log.info(
        {
          service: opts.service,
          address: tunnel.address.host,
          port: tunnel.address.port,
          mode: opts.http ? 'http' : 'raw',
        },
        'tunnel intercept listening',
      )
      await untilSignal()
      log.info({ connections: tunnel.connections() }, 'tunnel stopping')
      await tunnel.close()
      await zh.close()
      log.info('tunnel stopped')
    })
}

/**
 * The tunnel's log, a line per request, written in batches: lines collect up to 4 KiB and go
 * out at the latest a quarter of a second later, from a background write. A synchronous write
 * per line (pino's default) put a system call on every request's path; whatever is pending is
 * flushed when the process exits.
 */
function tunnelLog(): pino.Logger {
  const out = pino.destination({ dest: 1, sync: false, minLength: 4096 })
  let pending = false
  setInterval(() => {
    if (!pending) return
    pending = false
    try {
      out.flush()
    } catch {
      // Ended by the exit handler, which wrote what was pending.
    }
  }, 250).unref()
  const stream = {
    write(line: string) {
      pending = true
      out.write(line)
    },
  }
  return pino({ base: { component: 'tunnel' }, redact: logRedactions }, stream)
}

async function connectIdentity(file: string, log: pino.Logger) {
  // A daemon that may carry bulk: keep the buffers its records churn from piling up (young-gc.ts).
  startScavengePacing()
  const identity = await loadIdentity(file)
  return connect(identity, {
    log,
    // A long-running tunnel renews its certificate: keep the file current for the next start.
    onRenewed: (renewed) => saveIdentity(file, renewed),
    // And its grants (0600, next to the identity): a restart while the controller is down still
    // binds and dials while they are valid.
    grantCache: fileGrantCache(`${file}.grants`),
  })
}

async function verifyOptions(opts: HostOptions) {
  const scheme = getScheme(opts.verify!).name
  const secrets = await readSecrets(opts)
  // A handshake may hand the secret over (Asana): kept in DIR/learned.secret, trust on first use.
  const learnedSecret =
    opts.state && answersChallenges(scheme)
      ? fileLearnedSecret(join(opts.state, 'learned.secret'))
      : undefined
  if (secrets.length + opts.publicKey.length === 0 && !learnedSecret)
    throw new ZhError('ZH_USAGE', `--verify needs --secret, $${SECRET_ENV} or --public-key`)
  let replay: ReplayStore
  if (opts.state) {
    ensurePrivateDir(opts.state)
    replay = createSqliteReplayStore({ database: join(opts.state, 'replay.db') })
  } else {
    replay = createMemoryReplayStore()
  }
  return {
    scheme,
    secrets,
    publicKeys: opts.publicKey,
    replay,
    tolerance: opts.tolerance,
    publicUrl: opts.publicUrl,
    learnedSecret,
  }
}

function wholeNumber(text: string): number {
  if (!/^\d{1,15}$/.test(text)) throw new ZhError('ZH_USAGE', `${text} is not a whole number`)
  return Number(text)
}

function byteSize(text: string): number {
  const m = /^(\d{1,12})(k|m|kib|mib)?$/i.exec(text)
  if (!m) throw new ZhError('ZH_USAGE', `${text} is not a size in bytes (k and m suffixes allowed)`)
  const unit = m[2]?.[0]?.toLowerCase()
  return Number(m[1]) * (unit === 'k' ? 1024 : unit === 'm' ? 1024 * 1024 : 1)
}
