import { ZhError, isZhError } from '../../errors.js'

/** SQLSTATEs that mean the credentials were refused. */
const AUTH = new Set(['28P01', '28000'])
/** Node socket errors that mean the server is not there. */
const NETWORK = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'ECONNRESET'])

/**
 * What a PostgreSQL failure means to an operator: wrong credentials, no server (or no such
 * database), or a connection lost while serving (retryable, another replica may serve).
 * Anything else (a bug in our SQL, a constraint) is passed on as it is.
 */
export function storeError(err: unknown, where: string, starting: boolean): unknown {
  if (isZhError(err)) return err
  const e = err as { code?: string; message?: string }
  const cause = { cause: err }
  if (e.code && AUTH.has(e.code)) return new ZhError('ZH_STORE_AUTH_FAILED', where, cause)
  if (e.code === '3D000')
    return new ZhError(
      'ZH_STORE_UNREACHABLE',
      `${where}: ${e.message ?? 'no such database'}`,
      cause,
    )
  const lost =
    (e.code !== undefined &&
      (NETWORK.has(e.code) || e.code.startsWith('08') || e.code === '57P01')) ||
    /Connection terminated|timeout exceeded when trying to connect|connect ECONN/i.test(
      e.message ?? '',
    )
  if (!lost) return err
  return new ZhError(
    starting ? 'ZH_STORE_UNREACHABLE' : 'ZH_STORE_UNAVAILABLE',
    `${where}: ${e.code ?? e.message}`,
    cause,
  )
}

/** The URL with its password masked, for logs and error details. */
export function maskUrl(url: URL): string {
  const shown = new URL(url.href)
  if (shown.password) shown.password = '***'
  return shown.href
}
