import { existsSync } from 'node:fs'
import { mkdir } from 'node:fs/promises'
import { ZhError } from '../errors.js'
import { createCa } from '../pki/ca.js'
import { writePublicFile, writeSecretFile } from '../pki/files.js'
import { issueKeyAndCertificate } from '../pki/issue.js'
import { principalUri } from '../pki/uri.js'
import { saveIdentity } from '../sdk/identity-file.js'
import { recordCertificate } from './model/certificates.js'
import { insertIdentity } from './model/identities.js'
import { insertRouterPolicy } from './model/policies.js'
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
import { openStore, setMeta } from './store/db.js'

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
}

/**
 * Creates a new network in `dir`: the CA, the controller's TLS certificate, the EdDSA signing
 * key, the SQLite store with a default router policy, and an admin identity file. Refuses a
 * directory that already holds a controller.
 */
export async function initController(
  opts: InitOptions,
): Promise<{ config: ControllerConfig; adminFile: string }> {
  const paths = controllerPaths(opts.dir)
  if (existsSync(paths.config) || existsSync(paths.db)) {
    throw new ZhError(
      'ZH_CONFIG_INVALID',
      `${opts.dir} already holds a controller; use another --dir`,
    )
  }
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
  const controllerDays = lifetimes.controllerCertTtl / 86_400
  await mkdir(opts.dir, { recursive: true, mode: 0o700 })

  const ca = await createCa({ network, keyType, days: caTtl / 86_400 })
  await writePublicFile(paths.caCert, ca.certPem)
  await writeSecretFile(paths.caKey, ca.keyPem)

  const advertised = parseHostPort(opts.advertise ?? listen)!
  const config: ControllerConfig = {
    network,
    listen,
    ...(opts.advertise ? { advertise: opts.advertise } : {}),
    keyType,
    lifetimes,
    createdAt: new Date().toISOString(),
  }
  const tls = await issueControllerTls(ca, config, controllerDays)
  await saveControllerTls(opts.dir, tls)

  const signingPem = generateSigningKeyPem()
  await writeSecretFile(paths.signingKey, signingPem)

  const db = openStore(paths.db)
  try {
    const admin = db.transaction(() => {
      setMeta(db, 'network', network)
      insertRouterPolicy(db, {
        name: 'default',
        identityRoles: ['#all'],
        routerRoles: ['#all'],
        semantic: 'anyOf',
      })
      recordCertificate(db, { ...tls, principalId: 'controller', principalKind: 'controller' })
      return insertIdentity(db, { name: 'admin', kind: 'admin', attributes: ['admins'] })
    })()
    const adminCert = await issueKeyAndCertificate({
      ca,
      keyType,
      commonName: admin.id,
      uri: principalUri(network, 'identity', admin.id),
      days: controllerDays,
    })
    recordCertificate(db, { ...adminCert, principalId: admin.id, principalKind: 'identity' })
    await saveIdentity(paths.admin, {
      version: 1,
      id: admin.id,
      name: admin.name,
      kind: 'admin',
      network,
      controller: httpsUrl(advertised.host, advertised.port),
      certificate: adminCert.certPem,
      key: adminCert.keyPem,
      ca: ca.certPem,
      grantKey: loadSigningKey(signingPem).publicJwk,
    })
  } finally {
    db.close()
  }
  await writePublicFile(paths.config, `${JSON.stringify(config, null, 2)}\n`)
  return { config, adminFile: paths.admin }
}
