import { escape as queryEscape } from 'node:querystring'
import { ZhError } from '../../errors.js'
import { digestId, fromHex, hmac } from '../crypto.js'
import { checkFreshness } from '../timestamp.js'
import type { SchemeVerifyInput, WebhookScheme } from '../types.js'
import { anyMatch, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'x-contentful-signature'
const SIGNED_HEADERS = 'x-contentful-signed-headers'
const TIMESTAMP = 'x-contentful-timestamp'
const MILLIS = /^[0-9]{1,15}$/
const HEADER_NAME = /^[a-z0-9!#$%&'*+.^_`|~-]{1,64}$/
const MAX_SIGNED_HEADERS = 32

/**
 * Contentful (webhook request verification): `x-contentful-signature: <hex HMAC-SHA256>` with
 * the space's 64-character signing secret, over the canonical request
 * `method \n path \n headers \n body`, where path is the request path and query (from the `url`
 * option, required) normalized as Contentful's node-apps-toolkit does, and headers are
 * `name:value` pairs joined by `;` for each name of `x-contentful-signed-headers`, in its order
 * (it must name itself and `x-contentful-timestamp`). `x-contentful-timestamp` is Unix
 * milliseconds, checked within 30 s both ways, the toolkit's default TTL (raise `tolerance` if
 * deliveries queue). No id is sent: the replay id is a digest of the signed parts.
 */
// No published vector: the test checks an independent node:crypto computation of the canonical request.
export const contentful: WebhookScheme = {
  name: 'contentful',
  tolerance: 30,
  sign(input) {
    const path = canonicalPath(input.url)
    const millis = String(input.timestamp * 1000)
    const names = [SIGNED_HEADERS, TIMESTAMP].join(',')
    const signed = `${SIGNED_HEADERS}:${names};${TIMESTAMP}:${millis}`
    const mac = hmac(
      'sha256',
      signKey(input, 'contentful'),
      canonical(input.method, path, signed, input.body),
    )
    return { [SIGNATURE]: mac.toString('hex'), [SIGNED_HEADERS]: names, [TIMESTAMP]: millis }
  },
  verify(input) {
    const keys = verifyKeys(input, 'contentful')
    const { headers, body } = input
    const path = canonicalPath(input.url)
    const millis = headers.required(TIMESTAMP, { noComma: true })
    if (!MILLIS.test(millis)) {
      throw new ZhError('ZH_WEBHOOK_TIMESTAMP_INVALID', `${TIMESTAMP} is not Unix milliseconds`)
    }
    const timestamp = Math.floor(Number(millis) / 1000)
    checkFreshness(timestamp, input.clock)
    const presented = fromHex(headers.required(SIGNATURE, { noComma: true }))
    const signed = signedHeaders(input)
    const prefix = canonical(input.method, path, signed, '')
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, prefix, body), [presented]),
      'contentful',
    )
    return { id: digestId(prefix, body), timestamp }
  },
}

function canonical(
  method: string,
  path: string,
  headers: string,
  body: string | Uint8Array,
): string | Buffer {
  const head = `${method}\n${path}\n${headers}\n`
  return typeof body === 'string' ? head + body : Buffer.concat([Buffer.from(head), body])
}

// The `name:value;...` list of the headers `x-contentful-signed-headers` names.
function signedHeaders(input: SchemeVerifyInput): string {
  const list = input.headers.required(SIGNED_HEADERS)
  const names = list.split(',').map((name) => name.trim().toLowerCase())
  const malformed = (detail: string): never => {
    throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${SIGNED_HEADERS} ${detail}`)
  }
  if (names.length > MAX_SIGNED_HEADERS) malformed('names too many headers')
  if (!names.every((name) => HEADER_NAME.test(name))) malformed('is not a list of header names')
  if (new Set(names).size !== names.length) malformed('names a header twice')
  if (!names.includes(SIGNED_HEADERS) || !names.includes(TIMESTAMP)) {
    malformed(`must name itself and ${TIMESTAMP}`)
  }
  if (names.includes(SIGNATURE)) malformed(`names ${SIGNATURE}`)
  return names
    .map(
      (name) =>
        `${name}:${name === SIGNED_HEADERS ? names.join(',') : input.headers.required(name)}`,
    )
    .join(';')
}

// The path and query as node-apps-toolkit normalizes them: the query (up to a second `?`) escaped
// as a query component, then the whole encodeURI-ed.
function canonicalPath(url: string | undefined): string {
  if (typeof url !== 'string' || url === '') {
    throw new ZhError(
      'ZH_WEBHOOK_OPTIONS_INVALID',
      'contentful needs the url option (the URL called)',
    )
  }
  const match = url.startsWith('/')
    ? /^([^#]*)/.exec(url)
    : /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*([^#]*)/i.exec(url)
  if (!match)
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'contentful url is not a URL or a path')
  const path = match[1] === '' || match[1]!.startsWith('?') ? `/${match[1]}` : match[1]!
  const [pathname, search] = path.split('?') as [string, string | undefined]
  try {
    return encodeURI(search ? `${pathname}?${queryEscape(search)}` : pathname)
  } catch (cause) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'contentful url is not encodable', { cause })
  }
}
