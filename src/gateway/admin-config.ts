import { isLoopbackHost } from '../tunnel/target.js'
import { hostPort, invalid, mapping, type Raw } from './fields.js'
import { readSecret, type SourceContext } from './sources.js'

/** The gateway's admin API: on loopback, behind a bearer token. */
export interface GatewayAdminConfig {
  readonly listen: { readonly host: string; readonly port: number }
  readonly token: string
}

/** Shortest admin token: it guards replays of every queued webhook. */
export const MIN_ADMIN_TOKEN = 32

/**
 * The optional `admin` section: `{ listen: 127.0.0.1:0, token: { file: admin.token } }`. The
 * listener must be a loopback address (the API is for the console beside it, never the
 * internet), and the token 32+ characters without spaces.
 */
export function parseGatewayAdmin(value: Raw, ctx: SourceContext): GatewayAdminConfig | undefined {
  if (value === undefined) return undefined
  const admin = mapping(value, 'admin', ['listen', 'token'])
  const listen = hostPort(admin.listen ?? '127.0.0.1:0', 'admin.listen')
  if (!isLoopbackHost(listen.host))
    throw invalid('admin.listen', 'must be a loopback address (127.0.0.1 or [::1])')
  if (admin.token === undefined) throw invalid('admin.token', 'is required')
  const token = readSecret(admin.token, 'admin.token', ctx)
  if (token.length < MIN_ADMIN_TOKEN || /\s/.test(token))
    throw invalid('admin.token', `must be ${MIN_ADMIN_TOKEN}+ characters without spaces`)
  return { listen, token }
}
