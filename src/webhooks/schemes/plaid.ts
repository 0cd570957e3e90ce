import { ZhError } from '../../errors.js'
import { digestEqual, digestId, fromHex, sha256 } from '../crypto.js'
import type { WebhookScheme } from '../types.js'
import { jwkThumbprint, privateKeyOf } from './asymmetric-keys.js'
import {
  compactJws,
  expectAlgorithm,
  pinnedKeys,
  protectedHeaderOf,
  requiredKeyId,
  signCompactJws,
  signingInput,
  verifyWithAny,
} from './jws.js'
import { plaidKey } from './plaid-keys.js'
import { mustMatch } from './shared.js'

const HEADER = 'Plaid-Verification'

// No published vector: Plaid's docs show only a JWT header; the test cross-checks against an
// independent node:crypto computation and against jose.

/**
 * Plaid: `Plaid-Verification` is a JWT signed ES256 (the header must say so) whose claims are
 * `iat` (Unix seconds; 5 minutes, as Plaid says) and `request_body_sha256`, the hex SHA-256 of
 * the raw body, compared in constant time. The key is the one its `kid` names: fetched from
 * `POST https://<environment>.plaid.com/webhook_verification_key/get` through `fetchKey`
 * (options `clientId` and `environment` `sandbox` | `production`, `secret` the API secret),
 * cached an hour, refused once Plaid reports it expired; or given as `publicKey` (Plaid's JWK as
 * JSON, PEM or a KeyObject), which skips the fetch. Plaid sends no event id: the replay id is a
 * digest of the signed header and claims (not of the signature, which ECDSA lets anyone re-encode).
 * `sign` takes an EC P-256 `key` and names it by its JWK thumbprint.
 */
export const plaid: WebhookScheme = {
  name: 'plaid',
  tolerance: 300,
  sign(input) {
    const [key, ...rest] = input.keys
    if (key === undefined || rest.length > 0) {
      throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'plaid signs with one EC P-256 key')
    }
    const signing = privateKeyOf(key, 'p256', 'plaid')
    const claims = {
      iat: input.timestamp,
      request_body_sha256: sha256(input.body).toString('hex'),
    }
    const kid = jwkThumbprint(signing)
    return { [HEADER]: signCompactJws('ES256', { kid, typ: 'JWT' }, claims, signing) }
  },
  async verify(input) {
    const token = compactJws(input.headers.required(HEADER, { noComma: true }), HEADER)
    const { alg, kid } = protectedHeaderOf(token, HEADER)
    expectAlgorithm(alg, 'ES256', HEADER)
    const keys =
      input.publicKeys.length > 0
        ? pinnedKeys(input.publicKeys, 'p256', 'plaid', kid)
        : [await plaidKey(input, requiredKeyId(kid, HEADER))]
    const verified = await verifyWithAny(token, keys, {
      algorithm: 'ES256',
      header: HEADER,
      clock: input.clock,
      skew: 0,
    })
    const claimed = verified.payload.request_body_sha256
    const hash = typeof claimed === 'string' ? fromHex(claimed) : undefined
    mustMatch(digestEqual(sha256(input.body), hash), 'plaid request_body_sha256')
    return { id: digestId(signingInput(token)), timestamp: verified.issuedAt }
  },
}
