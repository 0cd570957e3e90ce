import { ZhError } from '../../errors.js'
import { digestId, fromHex, hmac } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { jsonObject } from './body-id.js'
import { MAX_SIGNATURES, anyMatch, checkId, mustMatch, signKeys, verifyKeys } from './shared.js'

const HEADER = 'X-PagerDuty-Signature'

/**
 * PagerDuty V3 webhooks: `X-PagerDuty-Signature: v1=<hex>[,v1=<hex>...]`, each v1 the hex
 * HMAC-SHA256 of the body keyed with a subscription secret; PagerDuty sends one per secret while
 * a secret is rotated, comma-separated without spaces. Other versions are ignored. No time is
 * signed. The id is the body's `event.id` (signed), else a digest of the body.
 */
// Vector: PagerDuty/go-pagerduty, webhookv3/webhookv3_test.go (PagerDuty's official Go client).
export const pagerduty: WebhookScheme = {
  name: 'pagerduty',
  tolerance: null,
  sign(input) {
    const v1 = signKeys(input, 'pagerduty').map(
      (key) => `v1=${hmac('sha256', key, input.body).toString('hex')}`,
    )
    return { [HEADER]: v1.join(',') }
  },
  verify(input) {
    const keys = verifyKeys(input, 'pagerduty')
    const presented = parseHeader(input.headers.required(HEADER)).map(fromHex)
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, input.body), presented),
      'pagerduty',
    )
    return { id: eventId(input.body) ?? digestId(input.body), timestamp: null }
  },
}

// `v1=<hex>` entries joined by bare commas; a space (`, `) means two headers were joined.
function parseHeader(header: string): string[] {
  const items = header.split(',')
  if (items.length > MAX_SIGNATURES) {
    throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${HEADER} has over ${MAX_SIGNATURES} entries`)
  }
  const v1: string[] = []
  for (const item of items) {
    const match = /^(v[0-9]{1,3})=([^\s=,]+)$/.exec(item)
    if (!match) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${HEADER} entries are v1=<hex>`)
    if (match[1] === 'v1') v1.push(match[2]!)
  }
  if (v1.length === 0)
    throw new ZhError('ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED', `${HEADER} has no v1`)
  return v1
}

// PagerDuty wraps the event: `{"event": {"id": "01BWDWL3NYY7LUFPZCC28QUCMK", ...}}`.
function eventId(body: Uint8Array): string | undefined {
  const event = jsonObject(body)?.event
  const id =
    typeof event === 'object' && event !== null ? (event as { id?: unknown }).id : undefined
  return typeof id === 'string' && id !== '' ? checkId(id, 'event.id') : undefined
}
