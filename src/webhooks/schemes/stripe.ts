import { ZhError } from '../../errors.js'
import { fromHex, hmac } from '../crypto.js'
import { checkFreshness, parseSeconds } from '../timestamp.js'
import type { WebhookScheme } from '../types.js'
import { bodyId } from './body-id.js'
import { MAX_SIGNATURES, anyMatch, mustMatch, signKeys, verifyKeys } from './shared.js'

const HEADER = 'Stripe-Signature'

/**
 * Stripe: `Stripe-Signature: t=<seconds>,v1=<hex>[,v1=<hex>...]`, each v1 the HMAC-SHA256 of
 * `t.body` keyed with the endpoint secret string (`whsec_...` used as-is). Several v1 values
 * appear while a secret is rolled; other schemes (`v0`) are ignored. The id is the event's `id`.
 */
export const stripe: WebhookScheme = {
  name: 'stripe',
  tolerance: 300,
  sign(input) {
    const t = String(input.timestamp)
    const v1 = signKeys(input, 'stripe').map(
      (key) => `v1=${hmac('sha256', key, t, '.', input.body).toString('hex')}`,
    )
    return { [HEADER]: [`t=${t}`, ...v1].join(',') }
  },
  verify(input) {
    const keys = verifyKeys(input, 'stripe')
    const { t, v1 } = parseHeader(input.headers.required(HEADER))
    const timestamp = parseSeconds(t, `${HEADER} t`)
    checkFreshness(timestamp, input.clock)
    if (v1.length === 0)
      throw new ZhError('ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED', `${HEADER} has no v1`)
    const presented = v1.map(fromHex)
    mustMatch(
      anyMatch(keys, (key) => hmac('sha256', key, t, '.', input.body), presented),
      'stripe',
    )
    return { id: bodyId(input.body, 'id', [t, '.', input.body]), timestamp }
  },
}

function parseHeader(header: string): { t: string; v1: string[] } {
  const items = header.split(',')
  if (items.length > MAX_SIGNATURES + 2)
    throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${HEADER} is too long`)
  let t: string | undefined
  const v1: string[] = []
  for (const item of items) {
    const match = /^([a-z0-9]+)=([^\s=,]*)$/.exec(item)
    if (!match) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${HEADER} items are key=value`)
    const [, key, value] = match as unknown as [string, string, string]
    if (key === 't') {
      if (t !== undefined) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${HEADER} has two t=`)
      t = value
    } else if (key === 'v1') v1.push(value)
  }
  if (t === undefined) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${HEADER} has no t=`)
  return { t, v1 }
}
