import { EventEmitter } from 'node:events'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import pino, { type Logger } from 'pino'
import { ensurePrivateDir, ensurePrivateFiles } from '../private-files.js'
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
import { ChangeFeed } from './feed.js'
import { startKnockKeys } from './knock-keys.js'
import { getMeta } from './model/meta.js'
import { loadSharedNetwork } from './model/shared-network.js'
import { schedulePruning } from './pruning.js'
import { Replicas } from './replicas.js'
import { loadSigningKey } from './signing-key.js'
import { openStore } from './store/open.js'
import { readStoreKey } from './store/store-key.js'
import type { Store } from './store/types.js'
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
  /** Overrides the store named in controller.json (a postgres:// URL, or sqlite:PATH). */
  store?: string
  /** The store key's file, for a shared store (default $ZEROHOOK_STORE_KEY, else DIR/store.key). */
  storeKeyFile?: string
  log?: Logger
}

/** The network's keys: files in the directory (SQLite), or sealed in the shared store. */
interface NetworkKeys {
  caCert: string
  caKey: string
  signingPem: string
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
  // Keys, the store and certificates: no other user of the machine may read them.
  ensurePrivateDir(opts.dir)
  ensurePrivateFiles(Object.values(paths))
  const config = JSON.parse(await readText(paths.config)) as ControllerConfig
  const listen = opts.listen ?? config.listen
  const bind = parseHostPort(listen)
  if (!bind) throw new ZhError('ZH_CONFIG_INVALID', `listen address ${listen}: expected HOST:PORT`)
  const [tlsCert, tlsKey] = await Promise.all([paths.tlsCert, paths.tlsKey].map(readText))
  const log = opts.log ?? pino({ base: { component: 'controller' }, redact: logRedactions })
  const storeSpec = opts.store ?? config.store ?? `sqlite:${paths.db}`
  const db = await openStore(storeSpec, {
    onNotice: (message, err) => log.warn({ err: (err as Error | undefined)?.message }, message),
  })
  let keys: NetworkKeys
  try {
    keys = await loadKeys(db, opts, paths, config.network)
  } catch (err) {
    await db.close()
    throw err
  }
  const caLeft = Math.floor(
    (inspectCertificate(keys.caCert).notAfter.getTime() - Date.now()) / 1000,
  )
  const settings: ControllerSettings = {
    ...defaultSettings,
    ...config.lifetimes,
    ...opts.settings,
  }
  Object.assign(settings, checkLifetimes(settings, caLeft > 0 ? caLeft : undefined))
  checkKnockRotation(settings)
  const metrics = createControllerMetrics()
  const events = new EventEmitter()
  events.setMaxListeners(0) // one listener per router control channel
  const ctx: ControllerContext = {
    db,
    feed: new ChangeFeed(db, events, log),
    replicas: new Replicas(db, log),
    network: config.network,
    url: '',
    ca: { certPem: keys.caCert, keyPem: keys.caKey },
    caFingerprint: fingerprint(keys.caCert),
    signingKey: loadSigningKey(keys.signingPem),
    events,
    log,
    settings,
    metrics,
  }
  await ctx.feed.start()
  ctx.knock = await startKnockKeys(db, { rotationS: settings.knockRotation, log })
  metrics.certificates = async () => (await networkStatus(ctx)).certificates
  const app = await buildApi(
    ctx,
    { certPem: tlsCert!, keyPem: tlsKey!, caPem: keys.caCert },
    metrics,
  )
  try {
    await app.listen({ host: bind.host, port: bind.port })
  } catch (err) {
    ctx.feed.stop()
    ctx.knock.stop()
    await db.close()
    throw new ZhError('ZH_CONFIG_INVALID', `cannot listen on ${listen}: ${(err as Error).message}`)
  }
  const port = (app.server.address() as AddressInfo).port
  const advertised = config.advertise ? parseHostPort(config.advertise)! : { host: bind.host, port }
  ctx.url = httpsUrl(advertised.host, advertised.port || port)
  await ctx.replicas.start(ctx.url)
  await pointAdminAt(paths.admin, ctx.url)
  const stopRenewal = scheduleTlsRenewal(ctx, { dir: opts.dir, config, certPem: tlsCert! }, (t) =>
    (app.server as unknown as import('node:tls').Server).setSecureContext(
      serverTlsOptions({ certPem: t.certPem, keyPem: t.keyPem, caPem: keys.caCert }),
    ),
  )
  const stopPruning = schedulePruning(ctx)
  for (const warning of (await networkStatus(ctx)).warnings)
    log.warn({ warning }, 'certificate warning')
  log.info(
    {
      url: ctx.url,
      network: config.network,
      store: db.location,
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
      ctx.knock?.stop()
      ctx.feed.stop()
      await app.close()
      await ctx.replicas.stop(ctx.url)
      await db.close()
    },
  }
}

async function loadKeys(
  db: Store,
  opts: RunOptions,
  paths: ReturnType<typeof controllerPaths>,
  network: string,
): Promise<NetworkKeys> {
  if (db.kind === 'sqlite') {
    const [caCert, caKey, signingPem] = await Promise.all(
      [paths.caCert, paths.caKey, paths.signingKey].map(readText),
    )
    const stored = await getMeta(db, 'network')
    if (stored !== undefined && stored !== network)
      throw new ZhError(
        'ZH_CONFIG_INVALID',
        `${db.location} holds network "${stored}", not "${network}"`,
      )
    return { caCert: caCert!, caKey: caKey!, signingPem: signingPem! }
  }
  const keyFile = opts.storeKeyFile ?? (existsSync(paths.storeKey) ? paths.storeKey : undefined)
  const shared = await loadSharedNetwork(db, await readStoreKey(keyFile))
  if (shared.network !== network)
    throw new ZhError(
      'ZH_CONFIG_INVALID',
      `${db.location} holds network "${shared.network}", not "${network}"`,
    )
  return { caCert: shared.caCertPem, caKey: shared.caKeyPem, signingPem: shared.signingPem }
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

/**
 * Endpoints learn the network's knock keys with their grants, and a router accepts the current
 * and the previous key: an endpoint that fetched its keys just before a rotation still knocks
 * for one more period. So the period must be at least the grant lifetime (keys are refreshed
 * with every grant), else an endpoint could be left with a key no router accepts.
 */
function checkKnockRotation(settings: ControllerSettings): void {
  const { knockRotation, grantTtl } = settings
  if (!Number.isSafeInteger(knockRotation) || knockRotation < grantTtl)
    throw new ZhError(
      'ZH_CONFIG_LIFETIME_INVALID',
      `--knock-rotation ${knockRotation} is shorter than --grant-ttl ${grantTtl}: endpoints learn new knock keys with their grants, so they could hold a key no router accepts`,
    )
}
