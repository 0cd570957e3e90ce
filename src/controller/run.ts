import { EventEmitter } from 'node:events'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import pino, { type Logger } from 'pino'
import { ZhError } from '../errors.js'
import { writeSecretFile } from '../pki/files.js'
import { fingerprint, inspectCertificate } from '../pki/inspect.js'
import { loadIdentity } from '../sdk/identity-file.js'
import { buildApi, serverTlsOptions } from './api/server.js'
import { defaultSettings, type ControllerContext, type ControllerSettings } from './context.js'
import { controllerPaths, httpsUrl, parseHostPort, type ControllerConfig } from './layout.js'
import { checkLifetimes } from './lifetimes.js'
import { createControllerMetrics } from './metrics.js'
import { networkStatus } from './ops/status.js'
import { schedulePruning } from './pruning.js'
import { loadSigningKey } from './signing-key.js'
import { openStore } from './store/db.js'
import { scheduleTlsRenewal } from './tls-cert.js'

/** Paths that must never appear in a log line. */
export const logRedactions = [
  'req.headers.authorization',
  '*.token',
  '*.key',
  '*.csr',
  '*.certificate',
  '*.privateKey',
]

/** A running controller. */
export interface RunningController {
  url: string
  port: number
  ctx: ControllerContext
  close(): Promise<void>
}

/** Options of `zerohook controller run`. */
export interface RunOptions {
  dir: string
  /** Overrides the listen address from controller.json. */
  listen?: string
  /**
   * Overrides of the settings; lifetimes not given here come from controller.json (set at
   * init), then the defaults. Lifetimes are checked together (ZH_CONFIG_LIFETIME_INVALID).
   */
  settings?: Partial<ControllerSettings>
  log?: Logger
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    throw new ZhError(
      'ZH_CONFIG_INVALID',
      `${path} is missing; run \`zerohook controller init --dir DIR\` first`,
    )
  }
}

/**
 * Starts the controller in `dir`: opens the store, loads the keys, serves the API. When the
 * advertised address was not fixed at init (port 0), the bound address is advertised and the
 * admin identity file is updated to point at it.
 */
export async function runController(opts: RunOptions): Promise<RunningController> {
  const paths = controllerPaths(opts.dir)
  const config = JSON.parse(await readText(paths.config)) as ControllerConfig
  const listen = opts.listen ?? config.listen
  const bind = parseHostPort(listen)
  if (!bind) throw new ZhError('ZH_CONFIG_INVALID', `listen address ${listen}: expected HOST:PORT`)
  const [caCert, caKey, tlsCert, tlsKey, signingPem] = await Promise.all(
    [paths.caCert, paths.caKey, paths.tlsCert, paths.tlsKey, paths.signingKey].map(readText),
  )
  const caLeft = Math.floor((inspectCertificate(caCert!).notAfter.getTime() - Date.now()) / 1000)
  const settings: ControllerSettings = {
    ...defaultSettings,
    ...config.lifetimes,
    ...opts.settings,
  }
  Object.assign(settings, checkLifetimes(settings, caLeft > 0 ? caLeft : undefined))
  const log = opts.log ?? pino({ base: { component: 'controller' }, redact: logRedactions })
  const db = openStore(paths.db)
  const metrics = createControllerMetrics()
  const ctx: ControllerContext = {
    db,
    network: config.network,
    url: '',
    ca: { certPem: caCert!, keyPem: caKey! },
    caFingerprint: fingerprint(caCert!),
    signingKey: loadSigningKey(signingPem!),
    events: new EventEmitter(),
    log,
    settings,
    metrics,
  }
  metrics.certificates = () => networkStatus(ctx).certificates
  const app = await buildApi(ctx, { certPem: tlsCert!, keyPem: tlsKey!, caPem: caCert! }, metrics)
  try {
    await app.listen({ host: bind.host, port: bind.port })
  } catch (err) {
    db.close()
    throw new ZhError('ZH_CONFIG_INVALID', `cannot listen on ${listen}: ${(err as Error).message}`)
  }
  const port = (app.server.address() as AddressInfo).port
  const advertised = config.advertise ? parseHostPort(config.advertise)! : { host: bind.host, port }
  ctx.url = httpsUrl(advertised.host, advertised.port || port)
  await pointAdminAt(paths.admin, ctx.url)
  const stopRenewal = scheduleTlsRenewal(ctx, { dir: opts.dir, config, certPem: tlsCert! }, (t) =>
    (app.server as unknown as import('node:tls').Server).setSecureContext(
      serverTlsOptions({ certPem: t.certPem, keyPem: t.keyPem, caPem: caCert! }),
    ),
  )
  const stopPruning = schedulePruning(ctx)
  for (const warning of networkStatus(ctx).warnings) log.warn({ warning }, 'certificate warning')
  log.info(
    {
      url: ctx.url,
      network: config.network,
      grantTtl: settings.grantTtl,
      certTtl: settings.certTtl,
      controllerCertTtl: settings.controllerCertTtl,
    },
    'controller listening',
  )
  return {
    url: ctx.url,
    port,
    ctx,
    close: async () => {
      stopRenewal()
      stopPruning()
      await app.close()
      db.close()
    },
  }
}

async function pointAdminAt(adminPath: string, url: string): Promise<void> {
  try {
    const admin = await loadIdentity(adminPath)
    if (admin.controller !== url)
      await writeSecretFile(
        adminPath,
        `${JSON.stringify({ ...admin, controller: url }, null, 2)}\n`,
      )
  } catch {
    // The admin file may have been moved away on purpose (it is a secret); the controller runs without it.
  }
}
