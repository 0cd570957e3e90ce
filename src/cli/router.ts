import { createWriteStream, existsSync } from 'node:fs'
import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Command } from 'commander'
import pino from 'pino'
import { logRedactions } from '../controller/run.js'
import { ZhError } from '../errors.js'
import { reserveGcHeadroom } from '../router/gc-headroom.js'
import { startRouter } from '../router/router.js'
import { enrollWithToken } from '../sdk/enroll.js'
import { loadIdentity, saveIdentity } from '../sdk/identity-file.js'
import { untilSignal } from './signals.js'

interface RunOptions {
  dir: string
  enroll?: string
  listen: string
  advertise?: string
  metrics?: string
  capture?: string
}

/** `zerohook router run` (create, list and delete are management commands in entities.ts). */
export function routerRunCommand(router: Command): void {
  router
    .command('run')
    .description('Run a router until SIGINT or SIGTERM (enrolls first with --enroll)')
    .requiredOption('--dir <dir>', 'directory for the router identity (identity.json)')
    .option('--enroll <tokenFile>', 'one-time router token from `zerohook router create`')
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
      '--capture <file>',
      'debugging: append every relayed byte to FILE (it is end-to-end ciphertext)',
    )
    .action(async (opts: RunOptions) => {
      reserveGcHeadroom()
      const path = join(opts.dir, 'identity.json')
      if (opts.enroll && !existsSync(path)) {
        await mkdir(opts.dir, { recursive: true, mode: 0o700 })
        const token = (await readFile(opts.enroll, 'utf8')).trim()
        await saveIdentity(path, await enrollWithToken(token))
      }
      if (!existsSync(path))
        throw new ZhError(
          'ZH_CONFIG_INVALID',
          `${path} is missing; pass --enroll TOKEN_FILE the first time`,
        )
      const identity = await loadIdentity(path)
      const log = pino({ base: { component: 'router' }, redact: logRedactions })
      const capture = opts.capture
        ? createWriteStream(opts.capture, { flags: 'a', mode: 0o600 })
        : undefined
      const running = await startRouter({
        identity,
        listen: opts.listen,
        advertise: opts.advertise,
        metricsListen: opts.metrics,
        tap: capture ? (_direction, chunk) => capture.write(chunk) : undefined,
        log,
      })
      await untilSignal()
      log.info('router stopping')
      await running.close()
      capture?.end()
    })
}
