import { randomUUID } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { digestId, hmac } from '../crypto.js'
import { checkFreshness } from '../timestamp.js'
import type { WebhookScheme } from '../types.js'
import { parseTimedHeader } from './mux.js'
import { anyMatch, checkId, mustMatch, signKey, verifyKeys } from './shared.js'

const HEADER = 'sanity-webhook-signature'
const IDEMPOTENCY = 'idempotency-key'

/**
 * Sanity GROQ-powered webhooks: `sanity-webhook-signature: t=<milliseconds>,v1=<base64url>`, v1
 * the unpadded base64url HMAC-SHA256 of `t.body` keyed with the webhook's secret. Sanity names no
 * tolerance; 5 minutes is the default. The id is the `idempotency-key` header (the same for
 * every retry, but not signed: the signed parts are a second replay key), else their digest.
 */
// Vector: sanity-io/webhook-toolkit, test/signature.test.ts (Sanity's official @sanity/webhook).
export const sanity: WebhookScheme = {
  name: 'sanity',
  tolerance: 300,
  sign(input) {
    const t = String(input.timestamp * 1000)
    const mac = hmac('sha256', signKey(input, 'sanity'), t, '.', input.body)
    return {
      [HEADER]: `t=${t},v1=${mac.toString('base64url')}`,
      [IDEMPOTENCY]: input.id ?? randomUUID(),
    }
  },
  verify(input) {
    const keys = verifyKeys(input, 'sanity')
    const { headers, body } = input
    const { t, v1 } = parseTimedHeader(headers.required(HEADER), HEADER)
    const timestamp = parseMillis(t)
    checkFreshness(timestamp, input.clock)
    const key = headers.optional(IDEMPOTENCY, { noComma: true })
    const expected = (k: Uint8Array): Buffer => hmac('sha256', k, t, '.', body)
    mustMatch(anyMatch(keys, expected, v1.map(fromBase64Url)), 'sanity')
    const signed = [t, '.', body] as const
    const id = key ? checkId(key, IDEMPOTENCY) : digestId(...signed)
    return { id, timestamp, unsignedId: signed }
  },
}

// Whole decimal milliseconds only, as whole seconds.
function parseMillis(text: string): number {
  if (!/^[0-9]{1,15}$/.test(text))
    throw new ZhError('ZH_WEBHOOK_TIMESTAMP_INVALID', `${HEADER} t is not milliseconds`)
  return Math.floor(Number(text) / 1000)
}

// Strict, canonical unpadded base64url: Node's decoder skips characters outside the alphabet
// and ignores the last character's spare bits, which Sanity's own check does not.
function fromBase64Url(text: string): Buffer | undefined {
  if (!/^[A-Za-z0-9_-]+$/.test(text)) return undefined
  const bytes = Buffer.from(text, 'base64url')
  return bytes.toString('base64url') === text ? bytes : undefined
}
