import { errors, jwtVerify, type JWTPayload } from 'jose'
import { ZhError } from '../../errors.js'
import { digestEqual, digestId, hmac, sha256 } from '../crypto.js'
import type { SchemeOptions, SchemeSignInput, SchemeVerified, SchemeVerifyInput } from '../types.js'
import { signKey, verifyKeys } from './shared.js'

const AUTHORIZATION = 'Authorization'
const BEARER = /^JWT ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/
/** How long a token signed here lives, as Atlassian's own libraries issue them. */
const LIFETIME = 180

/**
 * Atlassian Connect: `Authorization: JWT <token>`, an HS256 JWT with the installation's shared
 * secret whose `qsh` claim is the hex SHA-256 of the canonical request
 * `METHOD&path&sorted-query` (path relative to option `baseUrl`, the app's base URL); `exp` is
 * checked (leeway: `tolerance`, default 0) and, with option `clientKey`, `iss`. The body is not
 * signed. The id is a digest of the token; the timestamp is null, so a token is remembered 72 h.
 */
export async function verifyJiraJwt(input: SchemeVerifyInput): Promise<SchemeVerified> {
  const keys = verifyKeys(input, 'jira')
  const match = BEARER.exec(input.headers.required(AUTHORIZATION, { noComma: true }))
  if (!match)
    throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${AUTHORIZATION} is not "JWT <token>"`)
  const token = match[1]!
  const issuer = option(input.options, 'clientKey')
  const payload = await verifiedPayload(token, keys, input, issuer)
  const expected = queryStringHash(
    input.method,
    requireUrl(input.url),
    option(input.options, 'baseUrl'),
  )
  const qsh = typeof payload.qsh === 'string' ? Buffer.from(payload.qsh) : undefined
  if (!digestEqual(Buffer.from(expected), qsh)) {
    throw new ZhError('ZH_WEBHOOK_SIGNATURE_INVALID', 'jira: the qsh claim is not this request')
  }
  return { id: digestId(token), timestamp: null }
}

/** A Connect JWT for this request, as Jira sends it (for senders and tests). */
export function signJiraJwt(input: SchemeSignInput): Record<string, string> {
  const key = signKey(input, 'jira')
  const claims = {
    iss: option(input.options, 'clientKey') ?? 'jira',
    iat: input.timestamp,
    exp: input.timestamp + LIFETIME,
    qsh: queryStringHash(input.method, requireUrl(input.url), option(input.options, 'baseUrl')),
  }
  const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(claims)}`
  return {
    [AUTHORIZATION]: `JWT ${unsigned}.${hmac('sha256', key, unsigned).toString('base64url')}`,
  }
}

// Every key is tried; a token whose signature matches but whose claims fail is refused at once.
async function verifiedPayload(
  token: string,
  keys: readonly Uint8Array[],
  input: SchemeVerifyInput,
  issuer: string | undefined,
): Promise<JWTPayload> {
  for (const key of keys) {
    try {
      const { payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        currentDate: new Date(input.clock.now * 1000),
        clockTolerance: input.clock.tolerance,
        requiredClaims: ['iat', 'exp', 'qsh'],
        ...(issuer === undefined ? {} : { issuer }),
      })
      // jose checks iat only against a maximum age; a token issued in the future is refused here.
      if (
        typeof payload.iat !== 'number' ||
        payload.iat > input.clock.now + input.clock.tolerance
      ) {
        throw new ZhError('ZH_WEBHOOK_TIMESTAMP_FUTURE', 'jira: iat is in the future')
      }
      return payload
    } catch (err) {
      if (err instanceof ZhError) throw err
      if (err instanceof errors.JWSSignatureVerificationFailed) continue
      throw jwtError(err)
    }
  }
  throw new ZhError('ZH_WEBHOOK_SIGNATURE_INVALID', 'jira')
}

function jwtError(err: unknown): ZhError {
  if (err instanceof errors.JWTExpired)
    return new ZhError('ZH_WEBHOOK_TIMESTAMP_STALE', 'jira: exp', { cause: err })
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'iss')
      return new ZhError('ZH_WEBHOOK_KEY_UNTRUSTED', 'jira: iss is not options.clientKey', {
        cause: err,
      })
    if ((err.claim === 'iat' || err.claim === 'nbf') && err.reason === 'check_failed') {
      return new ZhError('ZH_WEBHOOK_TIMESTAMP_FUTURE', `jira: ${err.claim}`, { cause: err })
    }
  }
  return new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', 'jira: the JWT is malformed', { cause: err })
}

/**
 * Atlassian's query string hash: SHA-256 hex of `METHOD&uri&query`, the URI relative to the app's
 * base URL (`/` when empty, `&` escaped, no trailing slash) and the query's parameters but `jwt`
 * sorted by name, values of one name sorted and joined by `,`, all RFC 3986 percent-encoded.
 */
export function queryStringHash(method: string, url: string, baseUrl?: string): string {
  const parsed = parseUrl(url, 'url')
  let path = parsed.pathname
  if (baseUrl !== undefined) {
    const base = parseUrl(baseUrl, 'options.baseUrl').pathname
    if (path.startsWith(base)) path = path.slice(base.length)
  }
  path = path.replace(/&/g, '%26')
  if (!path.startsWith('/')) path = `/${path}`
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1)
  const params = new Map<string, string[]>()
  for (const [name, value] of parsed.searchParams) {
    if (name !== 'jwt') params.set(name, [...(params.get(name) ?? []), value])
  }
  const query = [...params.keys()]
    .sort()
    .map((name) => `${rfc3986(name)}=${params.get(name)!.sort().map(rfc3986).join(',')}`)
    .join('&')
  return sha256(`${method.toUpperCase()}&${path}&${query}`).toString('hex')
}

const rfc3986 = (text: string): string =>
  encodeURIComponent(text).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  )

function parseUrl(url: string, name: string): URL {
  try {
    return new URL(url)
  } catch (cause) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', `jira ${name} is not a URL`, { cause })
  }
}

function requireUrl(url: string | undefined): string {
  if (typeof url !== 'string' || url === '') {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'jira JWT mode needs the url option')
  }
  return url
}

function option(options: SchemeOptions, name: 'clientKey' | 'baseUrl'): string | undefined {
  const value = options[name]
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value === '') {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', `options.${name} must be a non-empty string`)
  }
  return value
}
