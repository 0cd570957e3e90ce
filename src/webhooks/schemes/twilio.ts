import { randomUUID } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { digestEqual, digestId, fromBase64, fromHex, hmac, sha256 } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { anyMatch, checkId, mustMatch, signKey, verifyKeys } from './shared.js'

const SIGNATURE = 'X-Twilio-Signature'
const IDEMPOTENCY = 'I-Twilio-Idempotency-Token'

/**
 * Twilio: `X-Twilio-Signature: <base64 HMAC-SHA1>` with the auth token, over the full URL
 * followed, for a form body, by every POST parameter name and value sorted by name. For a JSON
 * body the URL carries `bodySHA256` (the body's hex SHA-256) and the URL alone is signed.
 * Twilio signs the URL with or without the default port, so both are tried. The `url` option
 * is required. The id is `I-Twilio-Idempotency-Token` (not signed), else a digest. No timestamp.
 */
export const twilio: WebhookScheme = {
  name: 'twilio',
  tolerance: null,
  sign(input) {
    const key = signKey(input, 'twilio')
    const url = parseUrl(input.url)
    const data = url.toString() + signedParams(url, input.body, 'sign')
    return {
      [SIGNATURE]: hmac('sha1', key, data).toString('base64'),
      [IDEMPOTENCY]: input.id ?? randomUUID(),
    }
  },
  verify(input) {
    const keys = verifyKeys(input, 'twilio')
    const { headers, body } = input
    const url = parseUrl(input.url)
    const presented = fromBase64(headers.required(SIGNATURE, { noComma: true }))
    const token = headers.optional(IDEMPOTENCY, { noComma: true })
    const params = signedParams(url, body, 'verify')
    const variants = [withoutPort(url) + params, withPort(url) + params]
    const ok = variants.some((data) =>
      anyMatch(keys, (key) => hmac('sha1', key, data), [presented]),
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
