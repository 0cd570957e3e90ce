import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { digestId, fromBase64 } from '../crypto.js'
import { checkFreshness, parseSeconds } from '../timestamp.js'
import type { WebhookScheme } from '../types.js'
import { privateKeyOf, publicKeyOf } from './asymmetric-keys.js'
import { mustMatch } from './shared.js'

const SIGNATURE = 'X-Twilio-Email-Event-Webhook-Signature'
const TIMESTAMP = 'X-Twilio-Email-Event-Webhook-Timestamp'

// Published vector: sendgrid/sendgrid-nodejs, packages/eventwebhook/src/eventwebhook.spec.js.

/**
 * Twilio SendGrid's Signed Event Webhook: `X-Twilio-Email-Event-Webhook-Signature` is the base64
 * DER ECDSA P-256 / SHA-256 signature of the `X-Twilio-Email-Event-Webhook-Timestamp` value (Unix
 * seconds) followed by the raw body. (Not Ed25519: SendGrid generates an ECDSA key pair.)
 *
 * Verify with `publicKey`: the "Verification Key" SendGrid shows (base64 DER), or PEM, a JWK or a
 * KeyObject; several keys rotate. Sign with `key`: an EC P-256 private key (PEM or KeyObject).
 * SendGrid documents no tolerance; 300 s is checked. The body (a batch of events, each with its
 * own `sg_event_id`) carries no one id: the replay id is a digest of the timestamp and the body.
 */
export const sendgrid: WebhookScheme = {
  name: 'sendgrid',
  tolerance: 300,
  sign(input) {
    const [key, ...rest] = input.keys
    if (key === undefined || rest.length > 0) {
      throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'sendgrid signs with one EC P-256 key')
    }
    const ts = String(input.timestamp)
    const signature = cryptoSign(
      'sha256',
      Buffer.concat([Buffer.from(ts), input.body]),
      privateKeyOf(key, 'p256', 'sendgrid'),
    )
    return { [SIGNATURE]: signature.toString('base64'), [TIMESTAMP]: ts }
  },
  verify(input) {
    const keys = input.publicKeys.map((k) => publicKeyOf(k, 'p256', 'sendgrid').key)
    if (keys.length === 0) {
      throw new ZhError(
        'ZH_WEBHOOK_OPTIONS_INVALID',
        'sendgrid needs publicKey (the verification key)',
      )
    }
    const { headers, body } = input
    const ts = headers.required(TIMESTAMP, { noComma: true })
    const timestamp = parseSeconds(ts, TIMESTAMP)
    checkFreshness(timestamp, input.clock)
    const signature = fromBase64(headers.required(SIGNATURE, { noComma: true }))
    const content = Buffer.concat([Buffer.from(ts), body])
    mustMatch(
      signature !== undefined && keys.some((key) => ecdsaValid(content, key, signature)),
      'sendgrid',
    )
    return { id: digestId(ts, ':', body), timestamp }
  },
}

// A malformed DER signature is a failed verification, not an exception.
function ecdsaValid(content: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return cryptoVerify('sha256', content, { key, dsaEncoding: 'der' }, signature)
  } catch {
    return false
  }
}
