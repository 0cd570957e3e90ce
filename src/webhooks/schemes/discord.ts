import { sign as edSign, verify as edVerify } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { digestId, fromHex } from '../crypto.js'
import { ed25519PrivateKey, ed25519PublicKey } from '../keys.js'
import { checkFreshness, parseSeconds } from '../timestamp.js'
import type { WebhookScheme } from '../types.js'
import { mustMatch } from './shared.js'

const SIGNATURE = 'X-Signature-Ed25519'
const TIMESTAMP = 'X-Signature-Timestamp'

/**
 * Discord interactions: `X-Signature-Ed25519: <hex Ed25519 signature of timestamp + body>`
 * under the application's public key (hex), with `X-Signature-Timestamp` in Unix seconds. No
 * message id: the id is a digest of the signed parts.
 */
export const discord: WebhookScheme = {
  name: 'discord',
  tolerance: 300,
  sign(input) {
    const [key, ...rest] = input.keys
    if (key === undefined || rest.length > 0) {
      throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'discord signs with one Ed25519 key')
    }
    const ts = String(input.timestamp)
    const signature = edSign(
      null,
      Buffer.concat([Buffer.from(ts), input.body]),
      ed25519PrivateKey(key),
    )
    return { [SIGNATURE]: signature.toString('hex'), [TIMESTAMP]: ts }
  },
  verify(input) {
    const keys = [...input.publicKeys, ...input.secrets].map(ed25519PublicKey)
    const { headers, body } = input
    const ts = headers.required(TIMESTAMP, { noComma: true })
    const timestamp = parseSeconds(ts, TIMESTAMP)
    checkFreshness(timestamp, input.clock)
    const signature = fromHex(headers.required(SIGNATURE, { noComma: true }))
    const content = Buffer.concat([Buffer.from(ts), body])
    const ok =
      signature?.length === 64 && keys.some((key) => edVerify(null, content, key, signature))
    mustMatch(ok, 'discord')
    return { id: digestId(ts, ':', body), timestamp }
  },
}
