import {
  KeyObject,
  createHash,
  createPrivateKey,
  createPublicKey,
  type JsonWebKey,
} from 'node:crypto'
import { ZhError } from '../../errors.js'
import { fromBase64 } from '../crypto.js'
import type { PrivateKeyInput, PublicKeyInput } from '../types.js'

/** The key types of the schemes signed with a provider's key pair. */
export type KeyKind = 'p256' | 'rsa'

/** A verifying key, with the key id its JWK named (Plaid, Google), if any. */
export interface NamedKey {
  readonly kid: string | undefined
  readonly key: KeyObject
}

const invalid = (scheme: string, detail: string, cause?: unknown): ZhError =>
  new ZhError('ZH_WEBHOOK_SECRET_INVALID', `${scheme}: ${detail}`, cause ? { cause } : undefined)

/**
 * A public key of `kind` from a KeyObject (a private one gives its public half), PEM, a JWK as
 * JSON, or base64 / raw DER SubjectPublicKeyInfo (how SendGrid shows its verification key).
 */
export function publicKeyOf(input: PublicKeyInput, kind: KeyKind, scheme: string): NamedKey {
  let kid: string | undefined
  let key: KeyObject
  try {
    if (input instanceof KeyObject) {
      key = input.type === 'private' ? createPublicKey(input) : input
    } else if (typeof input === 'string' && input.trimStart().startsWith('{')) {
      const jwk = parseJwk(input, scheme)
      kid = typeof jwk.kid === 'string' ? jwk.kid : undefined
      key = createPublicKey({ key: jwk, format: 'jwk' })
    } else if (typeof input === 'string' && input.trimStart().startsWith('-----BEGIN')) {
      key = createPublicKey(input)
    } else {
      const der = typeof input === 'string' ? fromBase64(input.trim()) : input
      if (!(der instanceof Uint8Array))
        throw invalid(scheme, 'the public key is not PEM, JWK or base64 DER')
      key = createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' })
    }
  } catch (cause) {
    if (cause instanceof ZhError) throw cause
    throw invalid(scheme, 'the public key could not be read', cause)
  }
  return { kid, key: checkKind(key, kind, scheme) }
}

/** A private key of `kind` from a KeyObject, PEM, a JWK as JSON, or base64 / raw DER PKCS#8. */
export function privateKeyOf(input: PrivateKeyInput, kind: KeyKind, scheme: string): KeyObject {
  let key: KeyObject
  try {
    if (input instanceof KeyObject) key = input
    else if (typeof input === 'string' && input.trimStart().startsWith('{')) {
      key = createPrivateKey({ key: parseJwk(input, scheme), format: 'jwk' })
    } else if (typeof input === 'string' && input.trimStart().startsWith('-----BEGIN')) {
      key = createPrivateKey(input)
    } else {
      const der = typeof input === 'string' ? fromBase64(input.trim()) : input
      if (!(der instanceof Uint8Array))
        throw invalid(scheme, 'the private key is not PEM, JWK or base64 DER')
      key = createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' })
    }
  } catch (cause) {
    if (cause instanceof ZhError) throw cause
    throw invalid(scheme, 'the private key could not be read', cause)
  }
  if (key.type !== 'private') throw invalid(scheme, 'signing needs a private key')
  return checkKind(key, kind, scheme)
}

/** A public key of `kind` from a parsed JWK (a JWKS entry, Plaid's key response). */
export function publicKeyOfJwk(jwk: JsonWebKey, kind: KeyKind, scheme: string): KeyObject {
  try {
    return checkKind(createPublicKey({ key: jwk, format: 'jwk' }), kind, scheme)
  } catch (cause) {
    if (cause instanceof ZhError) throw cause
    throw invalid(scheme, 'the JWK is not a public key', cause)
  }
}

/** The RFC 7638 thumbprint of a key's public half, base64url: a stable key id for signers. */
export function jwkThumbprint(key: KeyObject): string {
  const jwk = (key.type === 'public' ? key : createPublicKey(key)).export({ format: 'jwk' })
  const members =
    jwk.kty === 'EC'
      ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
      : { e: jwk.e, kty: jwk.kty, n: jwk.n }
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url')
}

function parseJwk(text: string, scheme: string): JsonWebKey {
  let jwk: unknown
  try {
    jwk = JSON.parse(text)
  } catch (cause) {
    throw invalid(scheme, 'the key is not valid JSON', cause)
  }
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    throw invalid(scheme, 'the key is not a JWK object')
  }
  return jwk as JsonWebKey
}

// P-256 for ES256 (SendGrid, Plaid); RSA of 2048 bits or more for RS256 and SNS.
function checkKind(key: KeyObject, kind: KeyKind, scheme: string): KeyObject {
  const details = key.asymmetricKeyDetails
  const ok =
    kind === 'p256'
      ? key.asymmetricKeyType === 'ec' && details?.namedCurve === 'prime256v1'
      : key.asymmetricKeyType === 'rsa' && (details?.modulusLength ?? 0) >= 2048
  if (!ok)
    throw invalid(
      scheme,
      kind === 'p256'
        ? 'the key must be an EC P-256 key'
        : 'the key must be an RSA key of 2048 bits or more',
    )
  return key
}
