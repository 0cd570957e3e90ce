import { ZhError } from '../../errors.js'
import { fromHex, hmac } from '../crypto.js'
import { checkFreshness, parseSeconds } from '../timestamp.js'
import type { WebhookScheme } from '../types.js'
import { bodyId } from './body-id.js'
import { MAX_SIGNATURES, anyMatch, mustMatch, signKeys, verifyKeys } from './shared.js'

const HEADER = 'Paddle-Signature'

/**
 * Paddle Billing: `Paddle-Signature: ts=<seconds>;h1=<hex>[;h1=<hex>...]`, each h1 the
 * HMAC-SHA256 of `ts:body` with the notification destination's secret key (several h1 while a
 * key is rotated). Paddle's SDKs allow 5 s of clock difference; so does this default. The id
 * is the body's `event_id`, shared by every notification of one event.
 */
export const paddle: WebhookScheme = {
  name: 'paddle',
  tolerance: 5,
  sign(input) {
    const ts = String(input.timestamp)
    const h1 = signKeys(input, 'paddle').map(
      (key) => `h1=${hmac('sha256', key, ts, ':', input.body).toString('hex')}`,
    )
    return { [HEADER]: [`ts=${ts}`, ...h1].join(';') }
  },
  verify(input) {
    const keys = verifyKeys(input, 'paddle')
    const { ts, h1 } = parseHeader(input.headers.required(HEADER, { noComma: true }))
    const timestamp = parseSeconds(ts, `${HEADER} ts`)
    checkFreshness(timestamp, input.clock)
    if (h1.length === 0)
      throw new ZhError('ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED', `${HEADER} has no h1`)
    const expected = (key: Uint8Array): Buffer => hmac('sha256', key, ts, ':', input.body)
    mustMatch(anyMatch(keys, expected, h1.map(fromHex)), 'paddle')
    return { id: bodyId(input.body, 'event_id', [ts, ':', input.body]), timestamp }
  },
}

function parseHeader(header: string): { ts: string; h1: string[] } {
  const items = header.split(';')
  if (items.length > MAX_SIGNATURES + 2)
    throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${HEADER} is too long`)
  let ts: string | undefined
  const h1: string[] = []
  for (const item of items) {
    const match = /^([a-z0-9]+)=([^\s=;]*)$/.exec(item)
    if (!match) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${HEADER} items are key=value`)
    const [, key, value] = match as unknown as [string, string, string]
    if (key === 'ts') {
      if (ts !== undefined)
        throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${HEADER} has two ts=`)
      ts = value
    } else if (key === 'h1') h1.push(value)
  }
  if (ts === undefined) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${HEADER} has no ts=`)
  return { ts, h1 }
}
