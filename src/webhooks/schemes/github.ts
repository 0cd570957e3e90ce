import { randomUUID } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { hmac, hmacHex, textDigestEqual, type PaddedKey } from '../crypto.js'
import { paddedHmacKey } from '../keys.js'
import type { SchemeVerifyInput, WebhookScheme } from '../types.js'
import { checkId, mustMatch, prefixed, signKey } from './shared.js'

const SHA256 = 'X-Hub-Signature-256'
const SHA1 = 'X-Hub-Signature'
const DELIVERY = 'X-GitHub-Delivery'
const ONE_VALUE = { noComma: true } as const

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`, the delivery GUID in
 * `X-GitHub-Delivery` (the replay id; it is not signed, so the body digest is a second key).
 * The legacy sha1 `X-Hub-Signature` is accepted only with `legacySha1: true`. No timestamp.
 */
export const github: WebhookScheme = {
  name: 'github',
  tolerance: null,
  sign(input) {
    const key = signKey(input, 'github')
    const headers: Record<string, string> = {
      [SHA256]: `sha256=${hmac('sha256', key, input.body).toString('hex')}`,
      [DELIVERY]: input.id ?? randomUUID(),
    }
    if (input.legacySha1) headers[SHA1] = `sha1=${hmac('sha1', key, input.body).toString('hex')}`
    return headers
  },
  verify(input) {
    if (input.secrets.length === 0)
      throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'github needs a secret')
    const keys = input.secrets.map(paddedHmacKey)
    const id = checkId(input.headers.required(DELIVERY, ONE_VALUE), DELIVERY)
    const [algorithm, signature] = pickSignature(input)
    // Compared as hex text, as sent (upper-case digits too): anything else cannot match.
    const presented = signature.toLowerCase()
    const matches = (key: Uint8Array | PaddedKey): boolean =>
      textDigestEqual(hmacHex(algorithm, key, input.body), presented)
    mustMatch(keys.some(matches), 'github')
    return { id, timestamp: null, unsignedId: [input.body] }
  },
}

function pickSignature(input: SchemeVerifyInput): ['sha256' | 'sha1', string] {
  const sha256 = input.headers.optional(SHA256, ONE_VALUE)
  if (sha256 !== undefined && sha256 !== '') return ['sha256', prefixed(sha256, SHA256, 'sha256')]
  if (!input.headers.has(SHA1)) throw new ZhError('ZH_WEBHOOK_HEADER_MISSING', SHA256)
  if (!input.legacySha1) {
    throw new ZhError(
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
      `only the legacy sha1 ${SHA1} is present; pass legacySha1: true to accept it`,
    )
  }
  return ['sha1', prefixed(input.headers.required(SHA1, ONE_VALUE), SHA1, 'sha1')]
}
