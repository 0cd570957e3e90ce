import { createWriteStream, existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from 'commander'
import pino from 'pino'
import { decodeEnrollToken } from '../controller/enrollment/token.js'
import { logRedactions } from '../controller/run.js'
import { ensurePrivateDir, ensurePrivateFiles } from '../private-files.js'
import { ZhError, isZhError } from '../errors.js'
import { startRouter } from '../router/router.js'
import { enrollWithToken } from '../sdk/enroll.js'
import { loadIdentity, saveIdentity, type IdentityFile } from '../sdk/identity-file.js'
import { assertNotExpired } from '../sdk/renewal.js'
import { untilSignal } from './signals.js'

interface RunOptions {
  dir: string
  enroll?: string
  listen: string
  advertise?: string
  metrics?: string
  knock?: boolean
  capture?: string
}

/** `zerohook router run` (create, list and delete are management commands in entities.ts). */
export function routerRunCommand(router: Command): void {
  router
    .command('run')
    .description('Run a router until SIGINT or SIGTERM (enrolls first with --enroll)')
    .requiredOption('--dir <dir>', 'directory for the router identity (identity.json)')
    .option(
      '--enroll <tokenFile>',
      'one-time router token from `zerohook router create` (or `router token`, to enroll again once the certificate expired)',
    )
    .requiredOption('--listen <host:port>', 'address endpoints connect to (port 0: any free port)')
    .option(
      '--advertise <host:port>',
      'address endpoints are told to use (default: the bound address)',
    )
    .option(
      '--metrics <host:port>',
      'serve Prometheus metrics over plain HTTP here (keep it on loopback)',
    )
    .option(
      '--knock',
      'answer only connections that open with a valid knock (a token made with the network knock key): to anyone else the port sends nothing',
    )
    .option(
      '--capture <file>',
      'debugging: append every relayed byte to FILE (it is end-to-end ciphertext)',
    )
    .action(async (opts: RunOptions) => {
      const path = join(opts.dir, 'identity.json')
      const identity = await routerIdentity(path, opts)
      const log = pino({ base: { component: 'router' }, redact: logRedactions })
      const capture = opts.capture
        ? createWriteStream(opts.capture, { flags: 'a', mode: 0o600 })
        : undefined
      const running = await startRouter({
        identity,
        listen: opts.listen,
        advertise: opts.advertise,
        metricsListen: opts.metrics,
        knock: opts.knock,
        tap: capture ? (_direction, chunk) => capture.write(chunk) : undefined,
        // Saved so that a restart starts from the renewed certificate.
        onRenewed: (renewed) => saveIdentity(path, renewed),
        log,
      })
      const fatal = await Promise.race([untilSignal().then(() => undefined), running.fatal])
      if (!fatal) log.info('router stopping')
      await running.close()
      capture?.end()
      // main.ts prints `ZH_CERT_EXPIRED: ...` with the commands to enroll again, and exits 1.
      if (fatal) throw fatal
    })
}

/**
 * The router's identity: DIR/identity.json, enrolled first with --enroll when it is missing.
 * An expired one cannot renew itself (renewal authenticates with it): without --enroll that
 * is ZH_CERT_EXPIRED with the commands to enroll again; with a new token for the same router it
 * enrolls again. --enroll is ignored while the identity is still valid.
 */
async function routerIdentity(path: string, opts: RunOptions): Promise<IdentityFile> {
  const enroll = async (check?: (token: string) => void) => {
    const token = (await readFile(opts.enroll!, 'utf8')).trim()
    check?.(token)
    const enrolled = await enrollWithToken(token)
    await saveIdentity(path, enrolled)
    return enrolled
  }
  // Its key and grants: a folder other users may enter is refused, before anything is written.
  ensurePrivateDir(opts.dir)
  if (!existsSync(path)) {
    if (!opts.enroll)
      throw new ZhError(
        'ZH_CONFIG_INVALID',
        `${path} is missing; pass --enroll TOKEN_FILE the first time`,
      )
    return enroll()
  }
  ensurePrivateFiles([path, `${path}.grants`])
  const identity = await loadIdentity(path)
  try {
    assertNotExpired(identity)
    return identity
  } catch (err) {
    if (!isZhError(err, 'ZH_CERT_EXPIRED') || !opts.enroll) throw err
  }
  // Only a token for this very router may replace its identity file.
  return enroll((token) => {
    const claims = decodeEnrollToken(token)
    if (claims.em !== 'router' || claims.sub !== identity.id || claims.net !== identity.network)
      throw new ZhError(
        'ZH_ENROLL_TOKEN_INVALID',
        `${opts.enroll} is not a token for router ${identity.name} of network ${identity.network}`,
      )
  })
}
