import { ZhError } from '../../errors.js'
import { fromHex, hmac } from '../crypto.js'
import { checkFreshness, parseSeconds } from '../timestamp.js'
import type { WebhookScheme } from '../types.js'
import { bodyId } from './body-id.js'
import { MAX_SIGNATURES, anyMatch, mustMatch, signKeys, verifyKeys } from './shared.js'

const HEADER = 'Mux-Signature'

/**
 * Mux: `Mux-Signature: t=<seconds>,v1=<hex>[,v1=<hex>...]`, each v1 the HMAC-SHA256 of `t.body`
 * keyed with the webhook's signing secret; other schemes are ignored. 5 minutes of tolerance,
 * as Mux's SDKs allow. The id is the event's `id` in the signed body, else a digest.
 */
// Vector: muxinc/mux-node-sdk, tests/api-resources/webhooks.test.ts (Mux's official Node SDK).
export const mux: WebhookScheme = {
  name: 'mux',
  tolerance: 300,
  sign(input) {
    const t = String(input.timestamp)
    const v1 = signKeys(input, 'mux').map(
      (key) => `v1=${hmac('sha256', key, t, '.', input.body).toString('hex')}`,
    )
    return { [HEADER]: [`t=${t}`, ...v1].join(',') }
  },
  verify(input) {
    const keys = verifyKeys(input, 'mux')
    const { t, v1 } = parseTimedHeader(input.headers.required(HEADER), HEADER)
    const timestamp = parseSeconds(t, `${HEADER} t`)
    checkFreshness(timestamp, input.clock)
    const expected = (key: Uint8Array): Buffer => hmac('sha256', key, t, '.', input.body)
    mustMatch(anyMatch(keys, expected, v1.map(fromHex)), 'mux')
    return { id: bodyId(input.body, 'id', [t, '.', input.body]), timestamp }
  },
}

/**
 * Splits `t=<time>,v1=<sig>[,v1=<sig>...]` (Mux, Calendly, Sanity; a space may follow a comma).
 * Exactly one `t` is required and at least one `v1`; other `v<n>` entries are skipped.
 */
export function parseTimedHeader(header: string, name: string): { t: string; v1: string[] } {
  const items = header.split(',')
  if (items.length > MAX_SIGNATURES + 1) {
    throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${name} has over ${MAX_SIGNATURES} entries`)
  }
  let t: string | undefined
  const v1: string[] = []
  for (const item of items) {
    const match = /^([a-z][a-z0-9]{0,7})=([^\s=,]+)$/.exec(item.trimStart())
    if (!match) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${name} entries are key=value`)
    const [, key, value] = match as unknown as [string, string, string]
    if (key === 't') {
      if (t !== undefined) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${name} has two t=`)
      t = value
    } else if (key === 'v1') v1.push(value)
  }
  if (t === undefined) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${name} has no t=`)
  if (v1.length === 0)
    throw new ZhError('ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED', `${name} has no v1`)
  return { t, v1 }
}
