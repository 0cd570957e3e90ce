import { randomBytes } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { fromHex, hmac } from '../crypto.js'
import { hmacKey } from '../keys.js'
import { checkFreshness, parseSeconds } from '../timestamp.js'
import type { Secret, WebhookScheme } from '../types.js'
import { jsonObject } from './body-id.js'
import { anyMatch, checkId, mustMatch, verifyKeys } from './shared.js'

/** Mailgun's signature block, as it appears in the body. */
export interface MailgunSignature {
  readonly timestamp: string
  readonly token: string
  readonly signature: string
}

interface Block {
  readonly timestamp: string
  readonly token: string
  readonly signatures: readonly string[]
}

/**
 * Mailgun: the signature travels in the body, not in a header. A JSON body carries
 * `"signature": {"timestamp", "token", "signature"}` beside `event-data`; a form-encoded body
 * (legacy webhooks) carries `timestamp`, `token` and `signature` fields. `signature` is the hex
 * HMAC-SHA256 of `timestamp + token` with the webhook signing key; a subaccount's event also
 * carries `parent-signature`, made with the parent account's key (either may match).
 * The timestamp is Unix seconds, checked within 5 minutes (Mailgun gives none).
 *
 * Mailgun signs only the timestamp and the token, not the event: anyone holding one signed
 * block can attach it to another body. The token is therefore the replay id, and a replay store
 * is what makes this scheme safe. Multipart bodies (legacy and routes) are refused with
 * ZH_WEBHOOK_BODY_INVALID. `sign` throws: build the block with {@link mailgunSignature}.
 */
// No published vector (the docs' example signature is a placeholder): the test checks node:crypto.
export const mailgun: WebhookScheme = {
  name: 'mailgun',
  tolerance: 300,
  sign() {
    throw new ZhError(
      'ZH_WEBHOOK_OPTIONS_INVALID',
      'mailgun carries its signature in the body; build it with mailgunSignature()',
    )
  },
  verify(input) {
    const keys = verifyKeys(input, 'mailgun')
    const block = readBlock(input.body, input.headers.optional('Content-Type'))
    const timestamp = parseSeconds(block.timestamp, 'signature.timestamp')
    checkFreshness(timestamp, input.clock)
    const token = checkId(block.token, 'signature.token')
    const expected = (key: Uint8Array): Buffer => hmac('sha256', key, block.timestamp, token)
    mustMatch(anyMatch(keys, expected, block.signatures.map(fromHex)), 'mailgun')
    return { id: token, timestamp }
  },
}

/**
 * The signature block Mailgun puts in a webhook body, for senders and tests: a random 50-character
 * token unless one is given.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ signature: mailgunSignature(key, now), 'event-data': event })
 * ```
 */
export function mailgunSignature(
  secret: Secret,
  timestamp: number,
  token?: string,
): MailgunSignature {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'timestamp must be whole Unix seconds')
  }
  const t = String(timestamp)
  const tok = checkId(token ?? randomBytes(25).toString('hex'), 'token')
  return {
    timestamp: t,
    token: tok,
    signature: hmac('sha256', hmacKey(secret), t, tok).toString('hex'),
  }
}

function readBlock(body: Uint8Array, contentType: string | undefined): Block {
  const type = (contentType ?? '').toLowerCase()
  if (type.startsWith('multipart/')) {
    throw new ZhError(
      'ZH_WEBHOOK_BODY_INVALID',
      'mailgun multipart bodies are not read; use JSON webhooks',
    )
  }
  const first = body.find(
    (byte) => byte !== 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d,
  )
  const form =
    type.startsWith('application/x-www-form-urlencoded') || (type === '' && first !== 0x7b)
  return form ? formBlock(body) : jsonBlock(body)
}

function jsonBlock(body: Uint8Array): Block {
  const block = jsonObject(body)?.signature
  if (typeof block !== 'object' || block === null || Array.isArray(block)) {
    throw new ZhError('ZH_WEBHOOK_BODY_INVALID', 'the mailgun body has no signature object')
  }
  const { timestamp, token, signature } = block as Record<string, unknown>
  const parent = (block as Record<string, unknown>)['parent-signature']
  const stamp =
    typeof timestamp === 'number' && Number.isSafeInteger(timestamp) ? String(timestamp) : timestamp
  if (typeof stamp !== 'string' || typeof token !== 'string' || typeof signature !== 'string') {
    throw new ZhError('ZH_WEBHOOK_BODY_INVALID', 'signature needs timestamp, token and signature')
  }
  if (parent !== undefined && typeof parent !== 'string') {
    throw new ZhError('ZH_WEBHOOK_BODY_INVALID', 'signature.parent-signature is not a string')
  }
  return {
    timestamp: stamp,
    token,
    signatures: parent === undefined ? [signature] : [signature, parent],
  }
}

function formBlock(body: Uint8Array): Block {
  let params: URLSearchParams
  try {
    params = new URLSearchParams(new TextDecoder('utf-8', { fatal: true }).decode(body))
  } catch (cause) {
    throw new ZhError('ZH_WEBHOOK_BODY_INVALID', 'the mailgun form body is not UTF-8', { cause })
  }
  const field = (name: string): string => {
    const values = params.getAll(name)
    if (values.length !== 1) {
      throw new ZhError('ZH_WEBHOOK_BODY_INVALID', `the mailgun form needs one ${name} field`)
    }
    return values[0]!
  }
  return { timestamp: field('timestamp'), token: field('token'), signatures: [field('signature')] }
}
