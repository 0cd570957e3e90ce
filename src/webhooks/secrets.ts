import { generateKeyPairSync, randomBytes } from 'node:crypto'
import { rawPublicKey } from './keys.js'

/**
 * A new Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes.
 *
 * @example
 * ```ts
 * const secret = generateWebhookSecret() // 'whsec_3q2+7w...'
 * signWebhook({ scheme: 'standard', secret, body })
 * ```
 */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`
}

/** An Ed25519 pair for Standard Webhooks `v1a`: the sender keeps `whsk_`, receivers get `whpk_`. */
export interface WebhookKeyPair {
  readonly privateKey: string
  readonly publicKey: string
}

/**
 * A new Ed25519 key pair for asymmetric Standard Webhooks signatures (`v1a`): `whsk_` + the
 * base64 seed, `whpk_` + the base64 public key.
 *
 * @example
 * ```ts
 * const { privateKey, publicKey } = generateWebhookKeyPair()
 * const headers = signWebhook({ scheme: 'standard', key: privateKey, body })
 * await verifyWebhook({ scheme: 'standard', publicKey, headers, body })
 * ```
 */
export function generateWebhookKeyPair(): WebhookKeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519')
  const seed = Buffer.from(privateKey.export({ format: 'jwk' }).d ?? '', 'base64url')
  return {
    privateKey: `whsk_${seed.toString('base64')}`,
    publicKey: `whpk_${rawPublicKey(publicKey).toString('base64')}`,
  }
}
