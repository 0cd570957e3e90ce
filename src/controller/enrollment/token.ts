import { randomUUID, type KeyObject } from 'node:crypto'
import { JWTExpired } from 'jose/errors'
import { decodeProtectedHeader } from 'jose/decode/protected_header'
import { decodeJwt } from 'jose/jwt/decode'
import { SignJWT } from 'jose/jwt/sign'
import { jwtVerify } from 'jose/jwt/verify'
import { ZhError } from '../../errors.js'
import type { EnrollKind } from '../model/enrollments.js'

const TYP = 'zh-enroll+jwt'
const MAX_TOKEN = 4096
/** Replica URLs a token carries, at most (each at most 300 characters). */
const MAX_URLS = 8

/** What an enrollment token says. */
export interface EnrollClaims {
  /** The controller's base URL (the replica that issued the token). */
  url: string
  /** Every live controller replica's base URL when it was issued (absent from older tokens). */
  urls?: string[]
  /** SHA-256 fingerprint (hex) of the network CA certificate. */
  caf: string
  net: string
  sub: string
  /** Enrollment method: one-time token for an identity or a router. */
  em: EnrollKind
  jti: string
  exp: number
}

/** Signs a one-time enrollment token (EdDSA, default lifetime 3 h). */
export async function signEnrollToken(
  key: { privateKey: KeyObject; kid: string },
  claims: Omit<EnrollClaims, 'jti' | 'exp'>,
  ttlSeconds = 3 * 3600,
  now = Date.now(),
): Promise<{ token: string; jti: string; expiresAt: number }> {
  const jti = randomUUID()
  const exp = Math.floor(now / 1000) + ttlSeconds
  const token = await new SignJWT({
    url: claims.url,
    ...(claims.urls && claims.urls.length > 1 ? { urls: claims.urls.slice(0, MAX_URLS) } : {}),
    caf: claims.caf,
    net: claims.net,
    em: claims.em,
  })
    .setProtectedHeader({ alg: 'EdDSA', typ: TYP, kid: key.kid })
    .setSubject(claims.sub)
    .setJti(jti)
    .setIssuedAt(Math.floor(now / 1000))
    .setExpirationTime(exp)
    .sign(key.privateKey)
  return { token, jti, expiresAt: exp * 1000 }
}

/** Reads a token's claims without checking its signature (to learn where to enroll). */
export function decodeEnrollToken(token: string): EnrollClaims {
  try {
    if (token.length > MAX_TOKEN) throw new Error('token too long')
    if (decodeProtectedHeader(token).typ !== TYP) throw new Error('not an enrollment token')
    return checkClaims(decodeJwt(token))
  } catch (err) {
    if (err instanceof ZhError) throw err
    throw new ZhError('ZH_ENROLL_TOKEN_INVALID', (err as Error).message)
  }
}

/**
 * Verifies a token's signature, type and expiry against the controller's public key, and that it
 * belongs to `network`.
 */
export async function verifyEnrollToken(
  token: string,
  publicKey: KeyObject,
  expect: { network: string; now?: number },
): Promise<EnrollClaims> {
  const unverified = decodeEnrollToken(token)
  if (unverified.net !== expect.network)
    throw new ZhError('ZH_ENROLL_NETWORK_MISMATCH', unverified.net)
  try {
    const { payload } = await jwtVerify(token, publicKey, {
      algorithms: ['EdDSA'],
      typ: TYP,
      currentDate: expect.now === undefined ? undefined : new Date(expect.now),
      clockTolerance: 0,
    })
    return checkClaims(payload)
  } catch (err) {
    if (err instanceof JWTExpired) throw new ZhError('ZH_ENROLL_TOKEN_EXPIRED')
    if (err instanceof ZhError) throw err
    throw new ZhError('ZH_ENROLL_TOKEN_INVALID', (err as Error).message)
  }
}

function checkClaims(p: Record<string, unknown>): EnrollClaims {
  const { url, urls, caf, net, sub, em, jti, exp } = p
  const urlsOk =
    urls === undefined ||
    (Array.isArray(urls) &&
      urls.length <= MAX_URLS &&
      urls.every((u) => typeof u === 'string' && u.length <= 300 && u.startsWith('https://')))
  const ok =
    typeof url === 'string' &&
    typeof caf === 'string' &&
    /^[0-9a-f]{64}$/.test(caf) &&
    typeof net === 'string' &&
    typeof sub === 'string' &&
    (em === 'identity' || em === 'router') &&
    typeof jti === 'string' &&
    typeof exp === 'number' &&
    urlsOk
  if (!ok) throw new ZhError('ZH_ENROLL_TOKEN_INVALID', 'missing or malformed claims')
  return { url, ...(urls ? { urls: urls as string[] } : {}), caf, net, sub, em, jti, exp }
}
