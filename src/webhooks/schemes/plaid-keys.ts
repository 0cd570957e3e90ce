import type { KeyObject } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { hmacKey } from '../keys.js'
import type { SchemeVerifyInput } from '../types.js'
import { publicKeyOfJwk } from './asymmetric-keys.js'
import { createKeyCache, fetchKeyText } from './key-cache.js'

/** The Plaid environments that sign webhooks, each its own API host. */
const ENVIRONMENTS = ['sandbox', 'production'] as const

/** How long a fetched key is reused before Plaid is asked again (so an expiry shows within it). */
export const PLAID_KEY_TTL = 3600

interface PlaidKey {
  readonly key: KeyObject
  readonly expired: boolean
}

const cache = createKeyCache<PlaidKey>(64)

/**
 * Plaid's verification key `kid`, from `POST https://<environment>.plaid.com/webhook_verification_key/get`
 * with the `clientId` and `environment` options and the API secret, through `fetchKey`, cached
 * for {@link PLAID_KEY_TTL}. A key Plaid reports expired (`expired_at` set) is refused.
 */
export async function plaidKey(input: SchemeVerifyInput, kid: string): Promise<KeyObject> {
  const clientId = input.options.clientId
  if (typeof clientId !== 'string' || clientId === '' || clientId.length > 256) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'plaid needs options.clientId (or publicKey)')
  }
  const environment = input.options.environment
  if (!ENVIRONMENTS.includes(environment as (typeof ENVIRONMENTS)[number])) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'options.environment is sandbox or production')
  }
  const [secret, ...rest] = input.secrets
  if (secret === undefined || rest.length > 0) {
    throw new ZhError(
      'ZH_WEBHOOK_OPTIONS_INVALID',
      'plaid fetches its keys with one secret: the API secret',
    )
  }
  const url = `https://${String(environment)}.plaid.com/webhook_verification_key/get`
  const body = JSON.stringify({
    client_id: clientId,
    secret: Buffer.from(hmacKey(secret)).toString('utf8'),
    key_id: kid,
  })
  const { now } = input.clock
  const found = await cache.get(input.fetchKey, `${url} ${clientId} ${kid}`, now, async () => {
    const text = await fetchKeyText(input.fetchKey, {
      url,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    return { value: parseKeyResponse(text, kid), expiresAt: now + PLAID_KEY_TTL }
  })
  if (found.expired) throw new ZhError('ZH_WEBHOOK_KEY_UNTRUSTED', `plaid key ${kid} has expired`)
  return found.key
}

// `{ "key": { kty, crv, x, y, kid, alg, expired_at, ... }, "request_id": ... }`
function parseKeyResponse(text: string, kid: string): PlaidKey {
  let key: unknown
  try {
    key = (JSON.parse(text) as { key?: unknown } | null)?.key
  } catch (cause) {
    throw new ZhError('ZH_WEBHOOK_KEY_UNAVAILABLE', 'plaid key response is not JSON', { cause })
  }
  if (typeof key !== 'object' || key === null) {
    throw new ZhError('ZH_WEBHOOK_KEY_UNAVAILABLE', 'plaid key response has no key')
  }
  const jwk = key as { kid?: unknown; alg?: unknown; expired_at?: unknown }
  if (jwk.kid !== kid) throw new ZhError('ZH_WEBHOOK_KEY_UNAVAILABLE', 'plaid answered another key')
  if (jwk.alg !== undefined && jwk.alg !== 'ES256') {
    throw new ZhError('ZH_WEBHOOK_KEY_UNTRUSTED', `plaid key ${kid} is not an ES256 key`)
  }
  const { expired_at: expiredAt, ...members } = jwk
  return {
    key: publicKeyOfJwk(members, 'p256', 'plaid'),
    expired: expiredAt !== null && expiredAt !== undefined,
  }
}
