import { randomUUID } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { digestEqual, digestId, fromBase64, fromHex, hmac, sha256 } from '../crypto.js'
import type { SchemeOptions, WebhookScheme } from '../types.js'
import { anyMatch, checkId, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'X-Twilio-Signature'
const IDEMPOTENCY = 'I-Twilio-Idempotency-Token'
const SETTINGS = 'X-Twilio-Webhooks-Signature-Settings'
const ALGORITHMS = { HMAC_SHA1: 'sha1', HMAC_SHA256: 'sha256' } as const
type Algorithm = keyof typeof ALGORITHMS
const KEY_ID = /^[A-Za-z0-9_-]{1,128}$/

/**
 * Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1>` with the auth token, over the full URL
 * followed, for a form body, by every POST parameter name and value sorted by name. For a JSON
 * body the URL carries `bodySHA256` (the body's hex SHA-256) and the URL alone is signed.
 * Twilio signs the URL with or without the default port, so both are tried. The `url` option
 * is required. The id is `I-Twilio-Idempotency-Token` (not signed), else a digest. No timestamp.
 *
 * With a Webhooks SharedKey (Twilio's webhook configuration API), Twilio signs the same string
 * with the shared key's secret and the Setting's algorithm, and says so in
 * `X-Twilio-Webhooks-Signature-Settings: key=<key id>,algorithm=HMAC_SHA256`; pass the shared
 * key's secret as the secret. Option `algorithm: HMAC_SHA256` requires that header and algorithm
 * (a SHA-1 signature is then refused); signing with it also needs option `keyId`.
 */
// Shared keys: twilio.com/docs/usage/webhooks/webhook-shared-keys and twilio-node's
// examples/WebhookSignatureValidation.md (the header and its algorithms).
export const twilio: WebhookScheme = {
  name: 'twilio',
  tolerance: null,
  sign(input) {
    const key = signKey(input, 'twilio')
    const url = parseUrl(input.url)
    const data = url.toString() + signedParams(url, input.body, 'sign')
    const required = requiredAlgorithm(input.options)
    const settings: Record<string, string> = {}
    if (required === 'HMAC_SHA256') {
      const keyId = input.options.keyId
      if (typeof keyId !== 'string' || !KEY_ID.test(keyId))
        throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'twilio options.keyId names the shared key')
      settings[SETTINGS] = `key=${keyId},algorithm=HMAC_SHA256`
    }
    const algorithm = ALGORITHMS[required ?? 'HMAC_SHA1']
    return {
      [SIGNATURE]: hmac(algorithm, key, data).toString('base64'),
      [IDEMPOTENCY]: input.id ?? randomUUID(),
      ...settings,
    }
  },
  verify(input) {
    const keys = verifyKeys(input, 'twilio')
    const { headers, body } = input
    const url = parseUrl(input.url)
    const presented = fromBase64(headers.required(SIGNATURE, { noComma: true }))
    const token = headers.optional(IDEMPOTENCY, { noComma: true })
    const algorithm = ALGORITHMS[signedWith(headers.optional(SETTINGS), input.options)]
    const params = signedParams(url, body, 'verify')
    const variants = [withoutPort(url) + params, withPort(url) + params]
    const ok = variants.some((data) =>
      anyMatch(keys, (key) => hmac(algorithm, key, data), [presented]),
    )
    mustMatch(ok, 'twilio')
    const signed = [url.toString(), '\n', body] as const
    return {
      id: token ? checkId(token, IDEMPOTENCY) : digestId(...signed),
      timestamp: null,
      unsignedId: signed,
    }
  },
}

function requiredAlgorithm(options: SchemeOptions): Algorithm | undefined {
  const required = options.algorithm
  if (required === undefined) return undefined
  if (required !== 'HMAC_SHA1' && required !== 'HMAC_SHA256')
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'twilio options.algorithm is HMAC_SHA256')
  return required
}

// The algorithm the settings header names (`key=<id>,algorithm=<alg>`), SHA-1 without one; an
// algorithm other than the one the options require is refused, so it cannot be downgraded.
function signedWith(settings: string | undefined, options: SchemeOptions): Algorithm {
  const required = requiredAlgorithm(options)
  let algorithm: Algorithm = 'HMAC_SHA1'
  if (settings !== undefined) {
    const fields = new Map<string, string>()
    for (const item of settings.split(',')) {
      const match = /^\s*([a-z]+)=([A-Za-z0-9_-]{1,128})\s*$/.exec(item)
      if (!match || fields.has(match[1]!))
        throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${SETTINGS} is key=<id>,algorithm=<alg>`)
      fields.set(match[1]!, match[2]!)
    }
    const named = fields.get('algorithm')
    if (named !== 'HMAC_SHA1' && named !== 'HMAC_SHA256')
      throw new ZhError('ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED', `${SETTINGS}: ${named ?? '-'}`)
    algorithm = named
  }
  if (required !== undefined && required !== algorithm)
    throw new ZhError('ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED', `twilio requires ${required}`)
  return algorithm
}

/**
 * The URL with `bodySHA256` (the body's hex SHA-256) added: how Twilio signs a JSON body, the
 * URL alone being signed. Send to (and sign) this URL.
 *
 * @example
 * ```ts
 * const url = twilioBodyUrl('https://example.com/hook', body)
 * const headers = signWebhook({ scheme: 'twilio', secret: authToken, url, body })
 * ```
 */
export function twilioBodyUrl(url: string, body: Uint8Array | string): string {
  const parsed = parseUrl(url)
  parsed.searchParams.set('bodySHA256', sha256(body).toString('hex'))
  return parsed.toString()
}

// What follows the URL in the signed data: the form parameters, or nothing for a JSON body
// whose hash the URL carries (checked here).
function signedParams(url: URL, body: Uint8Array, mode: 'sign' | 'verify'): string {
  const bodyHash = url.searchParams.get('bodySHA256')
  if (bodyHash === null) return formParams(body)
  if (!digestEqual(sha256(body), fromHex(bodyHash))) {
    if (mode === 'verify') throw new ZhError('ZH_WEBHOOK_SIGNATURE_INVALID', 'twilio bodySHA256')
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', "bodySHA256 in the url is not the body's")
  }
  return ''
}

// Names sorted; a name given several times contributes each distinct value, sorted.
function formParams(body: Uint8Array): string {
  let text: string
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body)
  } catch (cause) {
    throw new ZhError('ZH_WEBHOOK_BODY_INVALID', 'twilio form body is not UTF-8', { cause })
  }
  const params = new Map<string, Set<string>>()
  for (const [name, value] of new URLSearchParams(text)) {
    const values = params.get(name) ?? new Set<string>()
    values.add(value)
    params.set(name, values)
  }
  let out = ''
  for (const name of [...params.keys()].sort()) {
    for (const value of [...params.get(name)!].sort()) out += name + value
  }
  return out
}

function parseUrl(url: string | undefined): URL {
  if (url === undefined)
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'twilio needs the url option')
  try {
    return new URL(url)
  } catch (cause) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'twilio url is not a URL', { cause })
  }
}

function withoutPort(url: URL): string {
  const copy = new URL(url)
  copy.port = ''
  return copy.toString()
}

// URL elides default ports, so the default one is spliced back into the host by hand.
function withPort(url: URL): string {
  if (url.port !== '') return url.toString()
  const port = url.protocol === 'https:' ? '443' : '80'
  const auth =
    url.username || url.password ? `${url.username}${url.password ? `:${url.password}` : ''}@` : ''
  return `${url.protocol}//${auth}${url.host}:${port}${url.pathname}${url.search}${url.hash}`
}
