import type { JsonWebKey, KeyObject } from 'node:crypto'
import { ZhError } from '../../errors.js'
import type { SchemeVerifyInput } from '../types.js'
import { publicKeyOfJwk } from './asymmetric-keys.js'
import { createKeyCache, fetchKeyText } from './key-cache.js'

/** Where Google publishes the keys that sign its OIDC tokens (Pub/Sub push included). */
export const GOOGLE_JWKS_URL = 'https://www.googleapis.com/oauth2/v3/certs'

/** Seconds a fetched key set is reused; Google rotates its keys over days. */
export const JWKS_TTL = 3600

/** Least seconds between two fetches prompted by an unknown `kid` (a forger's kid costs little). */
export const JWKS_REFETCH_AFTER = 60

// A key set is a few keys; more is not Google's answer.
const MAX_KEYS = 32

const cache = createKeyCache<readonly JsonWebKey[]>(8)

/**
 * The RSA key `kid` of Google's JWKS, fetched through `fetchKey` and cached {@link JWKS_TTL}; an
 * unknown kid prompts one more fetch (Google rotated) at most every {@link JWKS_REFETCH_AFTER}
 * seconds, then is ZH_WEBHOOK_SIGNATURE_INVALID: no Google key signed the token.
 */
export async function googleKey(input: SchemeVerifyInput, kid: string): Promise<KeyObject> {
  const { fetchKey } = input
  const { now } = input.clock
  const load = async () => ({
    value: parseJwks(await fetchKeyText(fetchKey, { url: GOOGLE_JWKS_URL, method: 'GET' })),
    expiresAt: now + JWKS_TTL,
  })
  let jwk = (await cache.get(fetchKey, GOOGLE_JWKS_URL, now, load)).find((k) => k.kid === kid)
  const loadedAt = cache.loadedAt(fetchKey, GOOGLE_JWKS_URL)
  if (!jwk && loadedAt !== undefined && now - loadedAt >= JWKS_REFETCH_AFTER) {
    cache.forget(fetchKey, GOOGLE_JWKS_URL)
    jwk = (await cache.get(fetchKey, GOOGLE_JWKS_URL, now, load)).find((k) => k.kid === kid)
  }
  if (!jwk)
    throw new ZhError('ZH_WEBHOOK_SIGNATURE_INVALID', `no Google key is named ${kid.slice(0, 64)}`)
  return publicKeyOfJwk(jwk, 'rsa', 'google-pubsub')
}

// `{ "keys": [{ kty, alg, use, kid, n, e }, ...] }`: the RSA signing keys only.
function parseJwks(text: string): readonly JsonWebKey[] {
  let keys: unknown
  try {
    keys = (JSON.parse(text) as { keys?: unknown } | null)?.keys
  } catch (cause) {
    throw new ZhError('ZH_WEBHOOK_KEY_UNAVAILABLE', 'the Google JWKS is not JSON', { cause })
  }
  if (!Array.isArray(keys) || keys.length > MAX_KEYS) {
    throw new ZhError('ZH_WEBHOOK_KEY_UNAVAILABLE', 'the Google JWKS has no key list')
  }
  return keys.filter(
    (k): k is JsonWebKey =>
      typeof k === 'object' &&
      k !== null &&
      (k as JsonWebKey).kty === 'RSA' &&
      typeof (k as JsonWebKey).kid === 'string' &&
      [undefined, 'RS256'].includes((k as JsonWebKey).alg as string | undefined) &&
      [undefined, 'sig'].includes((k as JsonWebKey).use as string | undefined),
  )
}
