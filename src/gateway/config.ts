import { readFileSync } from 'node:fs'
import { dirname, resolve } from 'node:path'
import { parse } from 'yaml'
import { ZhError, isZhError } from '../errors.js'
import { STANDARD_SCHEDULE } from '../webhooks/sender/schedule.js'
import { cidrSet } from '../webhooks/guards/cidr.js'
import { listSchemes } from '../webhooks/registry.js'
import { answersChallenges } from '../webhooks/middleware/challenge.js'
import type { SchemeName, SchemeOptions } from '../webhooks/types.js'
import { parseGatewayAdmin, type GatewayAdminConfig } from './admin-config.js'
import { hostPort, integer, invalid, list, mapping, text, type Raw } from './fields.js'
import { parsePublicUrl, parseSchemeOptions } from './scheme-fields.js'
import { configPath, readConfigFile, readSecret, type SourceContext } from './sources.js'

/** One public path and where its verified webhooks go. */
export interface GatewayRoute {
  /** Exact request path (`/github`); the query string is ignored for matching. */
  readonly path: string
  readonly scheme: SchemeName
  /** Shared secrets (several: rotation). */
  readonly secrets: readonly string[]
  /** Ed25519 public keys, for `standard` v1a and `discord`. */
  readonly publicKeys: readonly string[]
  /** CIDR ranges the caller's socket address must be in; none: any address. */
  readonly allow: readonly string[] | undefined
  /** Bearer tokens (several: rotation); none: no token asked. */
  readonly tokens: readonly string[] | undefined
  /** Timestamp tolerance in seconds; the scheme's default when absent. */
  readonly tolerance: number | undefined
  readonly target: { readonly service: string; readonly path: string }
  /** Extra request headers (lower case) forwarded besides the scheme's. */
  readonly forwardHeaders: readonly string[]
  /** The scheme's options (topic ARNs, an audience, a header name...), passed through. */
  readonly options: SchemeOptions
  /**
   * The public URL the provider calls, without the route's path: the request's path and query
   * are appended for schemes that sign the URL (Twilio, HubSpot, Square).
   */
  readonly url: string | undefined
}

/** How verified webhooks are forwarded and retried. */
export interface ForwardConfig {
  /** Time the first attempt may take before the caller is answered 202, ms. */
  readonly timeoutMs: number
  /** Delay before each attempt, ms; the last one repeats up to `maxAttempts`. */
  readonly delaysMs: readonly number[]
  readonly maxAttempts: number
  /** How long delivered webhooks stay in the queue, s; default 7 days. Failed, rejected stay. */
  readonly retentionS?: number
  /** Most webhooks not yet settled (pending or in flight) the queue holds; default 100,000. */
  readonly maxPending?: number
}

/** Defaults of the `forward` section. */
export const FORWARD_DEFAULTS = { timeoutMs: 8000, retentionS: 7 * 86_400, maxPending: 100_000 }

/** A validated gateway configuration, with secrets and TLS files already read. */
export interface GatewayConfig {
  readonly listen: { readonly host: string; readonly port: number }
  readonly tls: { readonly cert: string; readonly key: string; readonly ca: string | undefined }
  /** Directory of the outbox and replay databases. */
  readonly state: string
  readonly maxBodyBytes: number
  readonly forward: ForwardConfig
  readonly routes: readonly GatewayRoute[]
  /** The loopback admin API the console reads the queue through; none when absent. */
  readonly admin?: GatewayAdminConfig
}

const TOP = ['listen', 'tls', 'state', 'maxBodyBytes', 'forward', 'routes', 'admin']
const ROUTE = [
  'path',
  'scheme',
  'secrets',
  'publicKeys',
  'allow',
  'token',
  'tolerance',
  'target',
  'forwardHeaders',
  'options',
  'url',
]

/**
 * Reads and validates a gateway configuration file (YAML). Relative paths are relative to the
 * file; secrets come from `{ env }`, `{ file }` or `{ value }`. Any problem is
 * ZH_GATEWAY_CONFIG_INVALID (or ZH_GATEWAY_CONFIG_SOURCE_MISSING for an unset variable or an
 * unreadable file) naming the field, e.g. `routes[0].scheme`.
 *
 * ```yaml
 * listen: 127.0.0.1:8443            # port 0: any free port
 * tls: { cert: cert.pem, key: key.pem, ca: clients-ca.pem }   # ca: require client certs (mTLS)
 * state: ./gateway-state            # SQLite outbox + replay store
 * maxBodyBytes: 1048576             # default 1 MiB, checked before hashing
 * forward: { timeoutMs: 8000, delaysMs: [0, 5000, 300000], maxAttempts: 8 }   # optional
 *   # also retentionS: 604800 (delivered webhooks kept 7 days), maxPending: 100000 (then 503)
 * routes:
 *   - path: /github
 *     scheme: github                # any scheme of zerohook/webhooks
 *     secrets: [ { env: GITHUB_WEBHOOK_SECRET } ]   # or { file: path } or { value: ... }
 *     allow: [ 140.82.112.0/20 ]    # optional: CIDR allow-list on the socket address
 *     token: { env: GATEWAY_TOKEN } # optional: Authorization: Bearer (16+ characters)
 *     target: { service: jenkins-webhook, path: /github-webhook/ }
 *   - path: /twilio
 *     scheme: twilio                # signs the public URL: give it, path and query are appended
 *     url: https://hooks.example.com
 *     options: {}                   # the scheme's options, passed through (see each scheme)
 * admin: { listen: 127.0.0.1:0, token: { file: admin.token } }   # optional: the console's view
 * ```
 *
 * @example
 * ```ts
 * const config = loadGatewayConfig('/etc/zerohook/gateway.yaml')
 * ```
 */
export function loadGatewayConfig(
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): GatewayConfig {
  let source: string
  try {
    source = readFileSync(file, 'utf8')
  } catch (cause) {
    throw new ZhError('ZH_GATEWAY_CONFIG_SOURCE_MISSING', `cannot read ${file}`, { cause })
  }
  return parseGatewayConfig(source, { baseDir: dirname(resolve(file)), env })
}

/** Validates configuration text; see {@link loadGatewayConfig}. */
export function parseGatewayConfig(source: string, ctx: SourceContext): GatewayConfig {
  let doc: Raw
  try {
    // yaml caps alias expansion (maxAliasCount 100), so an alias bomb fails as invalid YAML.
    doc = parse(source)
  } catch (err) {
    throw invalid('(file)', `not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
  const top = mapping(doc, '(file)', TOP)
  const tls = mapping(top.tls, 'tls', ['cert', 'key', 'ca'])
  const routes = list(top.routes, 'routes', 1).map((r, i) => parseRoute(r, `routes[${i}]`, ctx))
  const paths = new Set<string>()
  routes.forEach((route, i) => {
    if (paths.has(route.path)) throw invalid(`routes[${i}].path`, `${route.path} appears twice`)
    paths.add(route.path)
  })
  return {
    listen: hostPort(top.listen, 'listen'),
    tls: {
      cert: readConfigFile(tls.cert, 'tls.cert', ctx),
      key: readConfigFile(tls.key, 'tls.key', ctx),
      ca: tls.ca === undefined ? undefined : readConfigFile(tls.ca, 'tls.ca', ctx),
    },
    state: configPath(top.state, 'state', ctx),
    maxBodyBytes: integer(top.maxBodyBytes, 'maxBodyBytes', 1, 64 * 1024 * 1024, 1024 * 1024),
    forward: parseForward(top.forward),
    routes,
    ...(top.admin === undefined ? {} : { admin: parseGatewayAdmin(top.admin, ctx) }),
  }
}

function parseRoute(value: Raw, field: string, ctx: SourceContext): GatewayRoute {
  const route = mapping(value, field, ROUTE)
  const path = text(route.path, `${field}.path`)
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*$/.test(path)) {
    throw invalid(`${field}.path`, 'must start with / and hold no query or spaces')
  }
  const scheme = text(route.scheme, `${field}.scheme`)
  const schemes: readonly string[] = listSchemes()
  if (!schemes.includes(scheme)) {
    throw invalid(`${field}.scheme`, `unknown; use one of ${schemes.join(', ')}`)
  }
  const sources = (key: 'secrets' | 'publicKeys') =>
    route[key] === undefined
      ? []
      : list(route[key], `${field}.${key}`, 1).map((s, i) =>
          readSecret(s, `${field}.${key}[${i}]`, ctx),
        )
  const secrets = sources('secrets')
  const publicKeys = sources('publicKeys')
  const options =
    route.options === undefined ? {} : parseSchemeOptions(route.options, `${field}.options`, ctx)
  // A scheme whose handshake hands the secret over (Asana) learns it (trust on first use), and
  // one signed with the provider's published keys needs only options saying whom to trust.
  const learns = answersChallenges(scheme as SchemeName)
  if (secrets.length + publicKeys.length === 0 && !learns && Object.keys(options).length === 0) {
    throw invalid(
      `${field}.secrets`,
      'a route needs secrets (or publicKeys, or options): nothing unverified crosses',
    )
  }
  return {
    path,
    scheme: scheme as SchemeName,
    secrets,
    publicKeys,
    allow: route.allow === undefined ? undefined : parseAllow(route.allow, `${field}.allow`),
    tokens: route.token === undefined ? undefined : parseTokens(route.token, `${field}.token`, ctx),
    tolerance:
      route.tolerance === undefined
        ? undefined
        : integer(route.tolerance, `${field}.tolerance`, 1, 24 * 3600, 0),
    target: parseTarget(route.target, `${field}.target`),
    forwardHeaders:
      route.forwardHeaders === undefined
        ? []
        : list(route.forwardHeaders, `${field}.forwardHeaders`).map((h, i) =>
            headerName(h, `${field}.forwardHeaders[${i}]`),
          ),
    options,
    url: route.url === undefined ? undefined : parsePublicUrl(route.url, `${field}.url`),
  }
}

function parseAllow(value: Raw, field: string): readonly string[] {
  const ranges = list(value, field, 1).map((r, i) => text(r, `${field}[${i}]`))
  try {
    cidrSet(ranges, 'ZH_GATEWAY_CONFIG_INVALID')
  } catch (err) {
    throw isZhError(err) ? invalid(field, err.detail ?? 'not a CIDR range') : err
  }
  return ranges
}

// One token or a list (rotation); each at least 16 characters, like the receiver's guard.
function parseTokens(value: Raw, field: string, ctx: SourceContext): readonly string[] {
  const items = Array.isArray(value) ? list(value, field, 1) : [value]
  return items.map((item, i) => {
    const name = Array.isArray(value) ? `${field}[${i}]` : field
    const token = readSecret(item, name, ctx)
    if (token.length < 16 || /\s/.test(token)) {
      throw invalid(name, 'a bearer token is 16+ characters without spaces')
    }
    return token
  })
}

function parseTarget(value: Raw, field: string): GatewayRoute['target'] {
  const target = mapping(value, field, ['service', 'path'])
  const service = text(target.service, `${field}.service`)
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(service)) {
    throw invalid(`${field}.service`, 'must be a service name (letters, digits, . _ -)')
  }
  const path = target.path === undefined ? '/' : text(target.path, `${field}.path`)
  if (!/^\/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$/.test(path)) {
    throw invalid(`${field}.path`, 'must start with / and hold no spaces')
  }
  return { service, path }
}

function headerName(value: Raw, field: string): string {
  const name = text(value, field).toLowerCase()
  if (!/^[a-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) throw invalid(field, 'not an HTTP header name')
  return name
}

function parseForward(value: Raw): ForwardConfig {
  if (value === undefined) {
    return {
      ...FORWARD_DEFAULTS,
      delaysMs: STANDARD_SCHEDULE,
      maxAttempts: STANDARD_SCHEDULE.length,
    }
  }
  const forward = mapping(value, 'forward', [
    'timeoutMs',
    'delaysMs',
    'maxAttempts',
    'retentionS',
    'maxPending',
  ])
  const delaysMs =
    forward.delaysMs === undefined
      ? STANDARD_SCHEDULE
      : list(forward.delaysMs, 'forward.delaysMs', 1).map((d, i) =>
          integer(d, `forward.delaysMs[${i}]`, 0, 7 * 24 * 3600_000, 0),
        )
  const { timeoutMs, retentionS, maxPending } = FORWARD_DEFAULTS
  return {
    timeoutMs: integer(forward.timeoutMs, 'forward.timeoutMs', 100, 60_000, timeoutMs),
    delaysMs,
    maxAttempts: integer(forward.maxAttempts, 'forward.maxAttempts', 1, 1000, delaysMs.length),
    retentionS: integer(forward.retentionS, 'forward.retentionS', 1, 3650 * 86_400, retentionS),
    maxPending: integer(forward.maxPending, 'forward.maxPending', 1, 100_000_000, maxPending),
  }
}
