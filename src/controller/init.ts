import { existsSync } from 'node:fs'
import { ensurePrivateDir } from '../private-files.js'
import { ZhError } from '../errors.js'
import { createCa, type CertifiedKey } from '../pki/ca.js'
import { writeSecretFile } from '../pki/files.js'
import { issueKeyAndCertificate } from '../pki/issue.js'
import { principalUri } from '../pki/uri.js'
import { saveIdentity } from '../sdk/identity-file.js'
import { recordCertificate } from './model/certificates.js'
import { insertIdentity } from './model/identities.js'
import { getMeta, setMeta } from './model/meta.js'
import { insertRouterPolicy } from './model/policies.js'
import { saveSharedNetwork } from './model/shared-network.js'
import {
  checkLifetimes,
  DEFAULT_CA_TTL,
  defaultLifetimes,
  parseLifetime,
  type Lifetimes,
} from './lifetimes.js'
import { checkName } from './policy/names.js'
import { controllerPaths, httpsUrl, parseHostPort, type ControllerConfig } from './layout.js'
import { generateSigningKeyPem, loadSigningKey } from './signing-key.js'
import { issueControllerTls, saveControllerTls } from './tls-cert.js'
import { isPostgresUrl, openStore } from './store/open.js'
import { readOrMakeStoreKey } from './store/store-key.js'
import type { Store } from './store/types.js'

/** Options of `zerohook controller init`. */
export interface InitOptions {
  dir: string
  network?: string
  listen?: string
  advertise?: string
  keyType?: 'p256' | 'ed25519'
  /** Lifetimes, seconds; unset ones take the defaults. Stored in controller.json for `run`. */
  lifetimes?: Partial<Lifetimes>
  /** The CA's lifetime, seconds (default 10 years). */
  caTtl?: number
  /** A PostgreSQL URL: the network lives there, for replicas to share (default: SQLite in `dir`). */
  store?: string
  /** Where the store key is (default $ZEROHOOK_STORE_KEY; with neither, a new one goes to DIR/store.key). */
  storeKeyFile?: string
}

/** What `init` made. */
export interface InitResult {
  config: ControllerConfig
  adminFile: string
  /** Where a newly made store key was written (a shared store with no key given). */
  storeKeyFile?: string
}

/**
 * Creates a new network in `dir`: the CA, the controller's TLS certificate, the EdDSA signing
 * key, the store with a default router policy, and an admin identity file. On SQLite every key
 * is a file in `dir`; on PostgreSQL the CA key and signing key go into the database sealed with
 * the store key, so that replicas made by `controller join` share them. Refuses a directory
 * that already holds a controller, and a database that already holds a network.
 */
export async function initController(opts: InitOptions): Promise<InitResult> {
  const paths = controllerPaths(opts.dir)
  if (existsSync(paths.config) || existsSync(paths.db)) {
    throw new ZhError(
      'ZH_CONFIG_INVALID',
      `${opts.dir} already holds a controller; use another --dir`,
    )
  }
  if (opts.store !== undefined && !isPostgresUrl(opts.store))
    throw new ZhError(
      'ZH_STORE_URL_INVALID',
      'init takes a postgres:// URL, or no --store for SQLite',
    )
  const network = checkName(opts.network ?? 'zerohook')
  const listen = opts.listen ?? '127.0.0.1:1280'
  const bind = parseHostPort(listen)
  if (!bind) throw new ZhError('ZH_CONFIG_INVALID', `--listen ${listen}: expected HOST:PORT`)
  if (opts.advertise !== undefined && !parseHostPort(opts.advertise)) {
    throw new ZhError('ZH_CONFIG_INVALID', `--advertise ${opts.advertise}: expected HOST:PORT`)
  }
  const keyType = opts.keyType ?? 'p256'
  const caTtl = parseLifetime('caTtl', opts.caTtl ?? DEFAULT_CA_TTL)
  const lifetimes = checkLifetimes({ ...defaultLifetimes, ...opts.lifetimes }, caTtl)
  const shared = opts.store !== undefined
  const storeKey = shared ? await readOrMakeStoreKey(opts.storeKeyFile) : undefined
  ensurePrivateDir(opts.dir)
  const db = await openStore(opts.store ?? `sqlite:${paths.db}`)
  try {
    const existing = await getMeta(db, 'network')
    if (existing !== undefined)
      throw new ZhError(
        'ZH_CONFIG_INVALID',
        `${db.location} already holds network "${existing}"; add a replica with \`zerohook controller join\``,
      )
    const config: ControllerConfig = {
      network,
      listen,
      ...(opts.advertise ? { advertise: opts.advertise } : {}),
      keyType,
      lifetimes,
      ...(shared ? { store: opts.store } : {}),
      createdAt: new Date().toISOString(),
    }
    const ca = await createCa({ network, keyType, days: caTtl / 86_400 })
    const signingPem = generateSigningKeyPem()
    const tls = await issueControllerTls(ca, config, lifetimes.controllerCertTtl / 86_400)
    const admin = await db.transaction(
      async (tx) => {
        if ((await getMeta(tx, 'network')) !== undefined)
          throw new ZhError('ZH_CONFIG_INVALID', `${db.location} was just given a network`)
        if (storeKey) {
          await saveSharedNetwork(tx, storeKey.key, {
            network,
            caCertPem: ca.certPem,
            caKeyPem: ca.keyPem,
            signingPem,
            keyType,
            lifetimes,
          })
        } else await setMeta(tx, 'network', network)
        await insertRouterPolicy(tx, {
          name: 'default',
          identityRoles: ['#all'],
          routerRoles: ['#all'],
          semantic: 'anyOf',
        })
        await recordCertificate(tx, {
          ...tls,
          principalId: 'controller',
          principalKind: 'controller',
        })
        return insertIdentity(tx, { name: 'admin', kind: 'admin', attributes: ['admins'] })
      },
      { exclusive: true },
    )
    await writeSecretFile(paths.caCert, ca.certPem)
    if (!shared) {
      await writeSecretFile(paths.caKey, ca.keyPem)
      await writeSecretFile(paths.signingKey, signingPem)
    }
    if (storeKey?.generated) await writeSecretFile(paths.storeKey, `${storeKey.text}\n`)
    await saveControllerTls(opts.dir, tls)
    await writeAdmin(db, ca, config, admin, signingPem, paths.admin)
    await writeSecretFile(paths.config, `${JSON.stringify(config, null, 2)}\n`)
    return {
      config,
      adminFile: paths.admin,
      ...(storeKey?.generated ? { storeKeyFile: paths.storeKey } : {}),
    }
  } finally {
    await db.close()
  }
}

async function writeAdmin(
  db: Store,
  ca: CertifiedKey,
  config: ControllerConfig,
  admin: { id: string; name: string },
  signingPem: string,
  path: string,
): Promise<void> {
  const advertised = parseHostPort(config.advertise ?? config.listen)!
  const adminCert = await issueKeyAndCertificate({
    ca,
    keyType: config.keyType,
    commonName: admin.id,
    uri: principalUri(config.network, 'identity', admin.id),
    days: config.lifetimes!.controllerCertTtl / 86_400,
  })
  await recordCertificate(db, { ...adminCert, principalId: admin.id, principalKind: 'identity' })
  await saveIdentity(path, {
    version: 1,
    id: admin.id,
    name: admin.name,
    kind: 'admin',
    network: config.network,
    controller: httpsUrl(advertised.host, advertised.port),
    certificate: adminCert.certPem,
    key: adminCert.keyPem,
    ca: ca.certPem,
    grantKey: loadSigningKey(signingPem).publicJwk,
  })
}
