import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { ZhError } from '../errors.js'
import { writeSecretFile } from '../pki/files.js'
import { controllerPaths, type ControllerConfig } from './layout.js'
import { defaultLifetimes } from './lifetimes.js'
import { getMeta } from './model/meta.js'
import { saveSharedNetwork } from './model/shared-network.js'
import { isPostgresUrl, openStore } from './store/open.js'
import { readOrMakeStoreKey } from './store/store-key.js'
import type { Queryable, SqlParam } from './store/types.js'

/** The tables a migration copies, with their columns, in an order foreign data allows. */
const COPIED = {
  meta: ['key', 'value'],
  identities: ['id', 'name', 'kind', 'attributes', 'disabled', 'created_at', 'updated_at'],
  routers: ['id', 'name', 'attributes', 'created_at', 'updated_at', 'address', 'last_seen'],
  services: ['id', 'name', 'attributes', 'created_at', 'updated_at'],
  service_policies: [
    'id',
    'name',
    'type',
    'identity_roles',
    'service_roles',
    'semantic',
    'created_at',
    'updated_at',
  ],
  router_policies: [
    'id',
    'name',
    'identity_roles',
    'router_roles',
    'semantic',
    'created_at',
    'updated_at',
  ],
  enrollments: ['jti', 'principal_id', 'principal_kind', 'expires_at', 'used_at'],
  certificates: [
    'serial',
    'fingerprint',
    'principal_id',
    'principal_kind',
    'not_after',
    'issued_at',
    'revoked_at',
  ],
  renewals: ['principal_id', 'count', 'last_at'],
  changes: ['seq', 'at', 'event'],
} as const satisfies Record<string, readonly string[]>

/** Options of `zerohook controller migrate`. */
export interface MigrateOptions {
  /** `sqlite:DIR`: the directory of a controller made by `controller init`. */
  from: string
  /** The PostgreSQL URL to move it to (an empty database). */
  to: string
  storeKeyFile?: string
}

/** What a migration moved. */
export interface MigrateResult {
  network: string
  rows: Record<string, number>
  /** Where a newly made store key was written, when none was given. */
  storeKeyFile?: string
}

/**
 * Moves a network from its SQLite controller to a shared PostgreSQL store, in one transaction:
 * every row keeps its ids, certificates and tokens (so nobody enrolls again), the CA and
 * signing keys go in sealed with the store key, and the directory's controller.json then names
 * the new store, so `controller run --dir DIR` runs on it. Stop the controller first: what it
 * writes after the copy would be left behind. Refuses a database that holds a network.
 */
export async function migrateStore(opts: MigrateOptions): Promise<MigrateResult> {
  if (!opts.from.startsWith('sqlite:') || opts.from.length <= 'sqlite:'.length)
    throw new ZhError('ZH_STORE_URL_INVALID', '--from takes sqlite:DIR (a controller directory)')
  if (!isPostgresUrl(opts.to))
    throw new ZhError('ZH_STORE_URL_INVALID', '--to takes a postgres:// URL')
  const dir = opts.from.slice('sqlite:'.length)
  const paths = controllerPaths(dir)
  const read = async (path: string) => {
    try {
      return await readFile(path, 'utf8')
    } catch {
      throw new ZhError(
        'ZH_CONFIG_INVALID',
        `${path} is missing: --from must name a controller directory`,
      )
    }
  }
  const config = JSON.parse(await read(paths.config)) as ControllerConfig
  if (config.store) throw new ZhError('ZH_CONFIG_INVALID', `${dir} already runs on ${config.store}`)
  if (!existsSync(paths.db)) throw new ZhError('ZH_CONFIG_INVALID', `${paths.db} is missing`)
  const [caCertPem, caKeyPem, signingPem] = await Promise.all(
    [paths.caCert, paths.caKey, paths.signingKey].map(read),
  )
  const key = await readOrMakeStoreKey(opts.storeKeyFile)
  const source = await openStore(`sqlite:${paths.db}`)
  try {
    const target = await openStore(opts.to)
    try {
      const existing = await getMeta(target, 'network')
      if (existing !== undefined)
        throw new ZhError(
          'ZH_CONFIG_INVALID',
          `${target.location} already holds network "${existing}"`,
        )
      const rows = await target.transaction(
        async (tx) => {
          const counts: Record<string, number> = {}
          for (const [table, columns] of Object.entries(COPIED))
            counts[table] = await copyTable(source, tx, table, columns)
          await saveSharedNetwork(tx, key.key, {
            network: config.network,
            caCertPem: caCertPem!,
            caKeyPem: caKeyPem!,
            signingPem: signingPem!,
            keyType: config.keyType,
            lifetimes: config.lifetimes ?? defaultLifetimes,
          })
          // New changes continue the sequence routers already saw.
          await tx.run(
            "SELECT setval(pg_get_serial_sequence('changes', 'seq'), GREATEST((SELECT MAX(seq) FROM changes), 1))",
          )
          return counts
        },
        { exclusive: true },
      )
      if (key.generated) await writeSecretFile(paths.storeKey, `${key.text}\n`)
      await writeSecretFile(
        paths.config,
        `${JSON.stringify({ ...config, store: opts.to }, null, 2)}\n`,
      )
      return {
        network: config.network,
        rows,
        ...(key.generated ? { storeKeyFile: paths.storeKey } : {}),
      }
    } finally {
      await target.close()
    }
  } finally {
    await source.close()
  }
}

/** Copies every row of one table; identifiers come from the fixed list above, values are parameters. */
async function copyTable(
  from: Queryable,
  to: Queryable,
  table: string,
  columns: readonly string[],
): Promise<number> {
  const list = columns.join(', ')
  const insert = `INSERT INTO ${table} (${list}) VALUES (${columns.map(() => '?').join(', ')})`
  const rows = await from.all<Record<string, SqlParam>>(`SELECT ${list} FROM ${table}`)
  for (const row of rows)
    await to.run(
      insert,
      columns.map((c) => row[c] ?? null),
    )
  return rows.length
}
