import { ZhError } from '../../errors.js'
import { openPostgresStore, type PostgresOptions } from './postgres.js'
import { openSqliteStore } from './sqlite.js'
import type { Store } from './types.js'

/** True for a PostgreSQL connection URL (a shared store that replicas can run on). */
export function isPostgresUrl(spec: string): boolean {
  return /^postgres(?:ql)?:\/\//i.test(spec)
}

/**
 * Opens the store named by `spec`: `sqlite:PATH` for the embedded file, or a
 * `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE` URL for a shared database.
 *
 * @example
 * const store = await openStore('postgres://zerohook@db.internal/zerohook')
 */
export async function openStore(spec: string, opts: PostgresOptions = {}): Promise<Store> {
  if (isPostgresUrl(spec)) return openPostgresStore(spec, opts)
  if (spec.startsWith('sqlite:') && spec.length > 'sqlite:'.length)
    return openSqliteStore(spec.slice('sqlite:'.length))
  throw new ZhError('ZH_STORE_URL_INVALID', spec.split(/[:/]/)[0] ?? '')
}
