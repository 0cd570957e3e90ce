import { existsSync } from 'node:fs'
import { ensurePrivateDir } from '../private-files.js'
import { ZhError } from '../errors.js'
import { writeSecretFile } from '../pki/files.js'
import { controllerPaths, parseHostPort, type ControllerConfig } from './layout.js'
import { recordCertificate } from './model/certificates.js'
import { loadSharedNetwork } from './model/shared-network.js'
import { isPostgresUrl, openStore } from './store/open.js'
import { readStoreKey } from './store/store-key.js'
import { issueControllerTls, saveControllerTls } from './tls-cert.js'

/** Options of `zerohook controller join`. */
export interface JoinOptions {
  /** A new directory for this replica (its config and its own TLS certificate). */
  dir: string
  /** The PostgreSQL URL the network lives in. */
  store: string
  /** The store key's file (default $ZEROHOOK_STORE_KEY). */
  storeKeyFile?: string
  listen?: string
  advertise?: string
}

/**
 * Makes a new replica of a network that lives in a shared store: reads the network and opens
 * its CA with the store key, issues this replica its own TLS certificate (for its own listen and
 * advertised addresses), and writes its directory. No key of the network is written to disk.
 *
 * @example
 * await joinController({ dir: '/var/lib/zerohook/b', store: 'postgres://zh@db/zerohook', listen: '0.0.0.0:1280', advertise: 'ctl-b.example:1280' })
 */
export async function joinController(opts: JoinOptions): Promise<{ config: ControllerConfig }> {
  const paths = controllerPaths(opts.dir)
  if (existsSync(paths.config))
    throw new ZhError(
      'ZH_CONFIG_INVALID',
      `${opts.dir} already holds a controller; use another --dir`,
    )
  if (!isPostgresUrl(opts.store))
    throw new ZhError('ZH_STORE_URL_INVALID', 'join takes the postgres:// URL of the network')
  const listen = opts.listen ?? '127.0.0.1:1280'
  if (!parseHostPort(listen))
    throw new ZhError('ZH_CONFIG_INVALID', `--listen ${listen}: expected HOST:PORT`)
  if (opts.advertise !== undefined && !parseHostPort(opts.advertise))
    throw new ZhError('ZH_CONFIG_INVALID', `--advertise ${opts.advertise}: expected HOST:PORT`)
  const key = await readStoreKey(opts.storeKeyFile)
  const db = await openStore(opts.store)
  try {
    const shared = await loadSharedNetwork(db, key)
    const config: ControllerConfig = {
      network: shared.network,
      listen,
      ...(opts.advertise ? { advertise: opts.advertise } : {}),
      keyType: shared.keyType,
      lifetimes: shared.lifetimes,
      store: opts.store,
      createdAt: new Date().toISOString(),
    }
    const ca = { certPem: shared.caCertPem, keyPem: shared.caKeyPem }
    const tls = await issueControllerTls(ca, config, shared.lifetimes.controllerCertTtl / 86_400)
    await recordCertificate(db, { ...tls, principalId: 'controller', principalKind: 'controller' })
    ensurePrivateDir(opts.dir)
    await writeSecretFile(paths.caCert, shared.caCertPem)
    await saveControllerTls(opts.dir, tls)
    await writeSecretFile(paths.config, `${JSON.stringify(config, null, 2)}\n`)
    return { config }
  } finally {
    await db.close()
  }
}
