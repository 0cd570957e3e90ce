import { sign as cryptoSign, type KeyObject } from 'node:crypto'
import { decodeProtectedHeader } from 'jose/decode/protected_header'
import type { JWTPayload } from 'jose'
import { jwtVerify } from 'jose/jwt/verify'
import { ZhError, type ZhCode } from '../../errors.js'
import { checkFreshness } from '../timestamp.js'
import type { Clock, PublicKeyInput } from '../types.js'
import { publicKeyOf, type KeyKind } from './asymmetric-keys.js'
import { MAX_SIGNATURES } from './shared.js'

/** The JWS algorithms these schemes use. */
export type JwsAlgorithm = 'RS256' | 'ES256'

// Three base64url segments, none empty; the header size cap bounds their length.
const COMPACT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/** `text` when it is a compact JWS, else ZH_WEBHOOK_HEADER_MALFORMED naming `header`. */
export function compactJws(text: string, header: string): string {
  if (!COMPACT.test(text))
    throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${header} is not a JWT`)
  return text
}

/** The signed part of a compact JWS (header and payload): what a replay id digests. */
export function signingInput(token: string): string {
  return token.slice(0, token.lastIndexOf('.'))
}

/**
 * The protected header's `alg` and `kid`, read before the signature is checked: to refuse another
 * algorithm before any key is fetched, and to pick the key.
 */
export function protectedHeaderOf(
  token: string,
  header: string,
): { alg: unknown; kid: string | undefined } {
  let decoded: { alg?: unknown; kid?: unknown }
  try {
    decoded = decodeProtectedHeader(token)
  } catch (cause) {
    throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${header} has no JSON header`, { cause })
  }
  return { alg: decoded.alg, kid: typeof decoded.kid === 'string' ? decoded.kid : undefined }
}

/** The kid a token must name for its key to be fetched. */
export function requiredKeyId(kid: string | undefined, header: string): string {
  if (kid === undefined || kid === '' || kid.length > 256) {
    throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${header} names no key (kid)`)
  }
  return kid
}

/** Refuses a token whose header names another algorithm than `alg`. */
export function expectAlgorithm(actual: unknown, alg: JwsAlgorithm, header: string): void {
  if (actual !== alg) {
    throw new ZhError(
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
      `${header} is signed ${String(actual).slice(0, 16)}, not ${alg}`,
    )
  }
}

/** A compact JWS of `payload` signed with `key` (synchronous, for `sign()`). */
export function signCompactJws(
  alg: JwsAlgorithm,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  key: KeyObject,
): string {
  const encode = (part: unknown): string => Buffer.from(JSON.stringify(part)).toString('base64url')
  const input = `${encode({ alg, ...header })}.${encode(payload)}`
  const signature =
    alg === 'ES256'
      ? cryptoSign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' })
      : cryptoSign('sha256', Buffer.from(input), key)
  return `${input}.${signature.toString('base64url')}`
}

/** What {@link verifyJwt} checks besides the signature. */
export interface JwtChecks {
  readonly algorithm: JwsAlgorithm
  readonly header: string
  readonly clock: Clock
  readonly issuer?: readonly string[]
  readonly audience?: readonly string[]
  /** Seconds of clock difference allowed on `exp` and `nbf`. */
  readonly skew: number
}

/**
 * Verifies a JWT with jose (signature, algorithm, issuer, audience, exp, nbf), then checks that
 * `iat` is whole seconds within the clock's tolerance. Resolves the claims and `iat`; every failure
 * is a ZhError (jose's errors are mapped to ZH_WEBHOOK_* codes).
 */
export async function verifyJwt(
  token: string,
  key: KeyObject,
  checks: JwtChecks,
): Promise<VerifiedJwt> {
  let payload: JWTPayload
  try {
    const options = {
      algorithms: [checks.algorithm],
      currentDate: new Date(checks.clock.now * 1000),
      clockTolerance: checks.skew,
      ...(checks.issuer ? { issuer: [...checks.issuer] } : {}),
      ...(checks.audience ? { audience: [...checks.audience] } : {}),
    }
    const verified = await jwtVerify(token, key, options)
    payload = verified.payload
  } catch (cause) {
    throw fromJose(cause, checks.header)
  }
  const iat = payload.iat
  if (typeof iat !== 'number' || !Number.isSafeInteger(iat) || iat < 0) {
    throw new ZhError('ZH_WEBHOOK_TIMESTAMP_INVALID', `${checks.header}: iat is not whole seconds`)
  }
  checkFreshness(iat, checks.clock)
  return { payload, issuedAt: iat }
}

/** A verified JWT: its claims and its `iat`. */
export interface VerifiedJwt {
  readonly payload: JWTPayload
  readonly issuedAt: number
}

/**
 * The keys given as `publicKey` that the token's `kid` may name: those with that kid, and those
 * without one (PEM, KeyObject). At most MAX_SIGNATURES keys are read.
 */
export function pinnedKeys(
  inputs: readonly PublicKeyInput[],
  kind: KeyKind,
  scheme: string,
  kid: string | undefined,
): KeyObject[] {
  if (inputs.length > MAX_SIGNATURES) {
    throw new ZhError(
      'ZH_WEBHOOK_OPTIONS_INVALID',
      `${scheme} takes at most ${MAX_SIGNATURES} keys`,
    )
  }
  return inputs
    .map((input) => publicKeyOf(input, kind, scheme))
    .filter((named) => named.kid === undefined || named.kid === kid)
    .map((named) => named.key)
}

/** {@link verifyJwt} with the first of `keys` whose signature matches; none is SIGNATURE_INVALID. */
export async function verifyWithAny(
  token: string,
  keys: readonly KeyObject[],
  checks: JwtChecks,
): Promise<VerifiedJwt> {
  for (const key of keys) {
    try {
      return await verifyJwt(token, key, checks)
    } catch (err) {
      // Another key may be the one; any failure but the signature's is final.
      if (!(err instanceof ZhError && err.code === 'ZH_WEBHOOK_SIGNATURE_INVALID')) throw err
    }
  }
  throw new ZhError('ZH_WEBHOOK_SIGNATURE_INVALID', `${checks.header}: no key matches`)
}

// jose's error codes, as the ZH_WEBHOOK_* code a receiver acts on.
const CODES: Readonly<Record<string, ZhCode>> = {
  ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'ZH_WEBHOOK_SIGNATURE_INVALID',
  ERR_JWKS_NO_MATCHING_KEY: 'ZH_WEBHOOK_SIGNATURE_INVALID',
  ERR_JOSE_ALG_NOT_ALLOWED: 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
  ERR_JOSE_NOT_SUPPORTED: 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
  ERR_JWT_EXPIRED: 'ZH_WEBHOOK_TIMESTAMP_STALE',
  ERR_JWS_INVALID: 'ZH_WEBHOOK_HEADER_MALFORMED',
  ERR_JWT_INVALID: 'ZH_WEBHOOK_HEADER_MALFORMED',
}

function fromJose(cause: unknown, header: string): ZhError {
  if (cause instanceof ZhError) return cause
  const { code, claim } = (cause ?? {}) as { code?: unknown; claim?: unknown }
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    const byClaim: ZhCode =
      claim === 'nbf'
        ? 'ZH_WEBHOOK_TIMESTAMP_FUTURE'
        : claim === 'iat' || claim === 'exp'
          ? 'ZH_WEBHOOK_TIMESTAMP_INVALID'
          : 'ZH_WEBHOOK_KEY_UNTRUSTED'
    return new ZhError(byClaim, `${header}: unexpected "${String(claim)}" claim`, { cause })
  }
  const mapped = typeof code === 'string' ? CODES[code] : undefined
  return new ZhError(mapped ?? 'ZH_WEBHOOK_SIGNATURE_INVALID', header, { cause })
}
