import { randomUUID, type KeyObject } from 'node:crypto'
// Subpaths, not the package root: the whole of jose takes three times as long to load, and
// every cold endpoint verifies a grant.
import { JWTExpired } from 'jose/errors'
import { SignJWT } from 'jose/jwt/sign'
import { jwtVerify } from 'jose/jwt/verify'
import { ZhError } from '../../errors.js'
import type { Action } from '../policy/types.js'

const TYP = 'zh-grant+jwt'

/** A grant: permission for one identity, holding one certificate, to dial or bind one service. */
export interface GrantClaims {
  /** Identity id. */
  sub: string
  net: string
  /** Service id and name. */
  svc: string
  sn: string
  act: Action
  /** SHA-256 fingerprint (hex) of the identity's certificate the grant is bound to. */
  cfp: string
  /** Router ids the grant may be used on. */
  rtr: string[]
  /** The identity's name, so the other endpoint can tell who called (informative, signed). */
  nm?: string
  jti: string
  /** Issued at, seconds. */
  iat: number
  exp: number
}

/** Signs a grant (EdDSA). */
export async function signGrant(
  key: { privateKey: KeyObject; kid: string },
  claims: Omit<GrantClaims, 'jti' | 'exp' | 'iat'>,
  ttlSeconds: number,
  now = Date.now(),
): Promise<{ token: string; claims: GrantClaims }> {
  const jti = randomUUID()
  const iat = Math.floor(now / 1000)
  const exp = iat + ttlSeconds
  const token = await new SignJWT({
    net: claims.net,
    svc: claims.svc,
    sn: claims.sn,
    act: claims.act,
    cfp: claims.cfp,
    rtr: claims.rtr,
    ...(claims.nm === undefined ? {} : { nm: claims.nm }),
  })
    .setProtectedHeader({ alg: 'EdDSA', typ: TYP, kid: key.kid })
    .setSubject(claims.sub)
    .setJti(jti)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(key.privateKey)
  return { token, claims: { ...claims, jti, iat, exp } }
}

/** What a verifier requires of a grant; unset fields are not checked. */
export interface GrantExpectation {
  network: string
  identityId?: string
  serviceId?: string
  serviceName?: string
  action?: Action
  fingerprint?: string
  routerId?: string
  now?: number
}

/**
 * Verifies a grant offline with the controller's public key: signature, type, expiry, and every
 * field the caller expects (ZH_GRANT_INVALID, ZH_GRANT_EXPIRED, ZH_GRANT_MISMATCH).
 */
export async function verifyGrant(
  token: string,
  publicKey: KeyObject,
  expect: GrantExpectation,
): Promise<GrantClaims> {
  if (token.length > 8192) throw new ZhError('ZH_GRANT_INVALID', 'too long')
  let payload: Record<string, unknown>
  try {
    payload = (
      await jwtVerify(token, publicKey, {
        algorithms: ['EdDSA'],
        typ: TYP,
        currentDate: expect.now === undefined ? undefined : new Date(expect.now),
        clockTolerance: 0,
      })
    ).payload
  } catch (err) {
    if (err instanceof JWTExpired) throw new ZhError('ZH_GRANT_EXPIRED')
    throw new ZhError('ZH_GRANT_INVALID', (err as Error).message)
  }
  const c = checkClaims(payload)
  const checks: [bad: boolean, what: string][] = [
    [c.net !== expect.network, 'network'],
    [expect.identityId !== undefined && c.sub !== expect.identityId, 'identity'],
    [expect.serviceId !== undefined && c.svc !== expect.serviceId, 'service'],
    [expect.serviceName !== undefined && c.sn !== expect.serviceName, 'service'],
    [expect.action !== undefined && c.act !== expect.action, 'action'],
    [expect.fingerprint !== undefined && c.cfp !== expect.fingerprint, 'certificate'],
    [expect.routerId !== undefined && !c.rtr.includes(expect.routerId), 'router'],
  ]
  const mismatch = checks.find(([bad]) => bad)?.[1]
  if (mismatch) throw new ZhError('ZH_GRANT_MISMATCH', mismatch)
  return c
}

function checkClaims(p: Record<string, unknown>): GrantClaims {
  const { sub, net, svc, sn, act, cfp, rtr, jti, iat, exp, nm } = p
  const ok =
    typeof sub === 'string' &&
    typeof net === 'string' &&
    typeof svc === 'string' &&
    typeof sn === 'string' &&
    (act === 'dial' || act === 'bind') &&
    typeof cfp === 'string' &&
    Array.isArray(rtr) &&
    rtr.every((r) => typeof r === 'string') &&
    typeof jti === 'string' &&
    typeof iat === 'number' &&
    typeof exp === 'number' &&
    (nm === undefined || (typeof nm === 'string' && nm.length <= 128))
  if (!ok) throw new ZhError('ZH_GRANT_INVALID', 'missing or malformed claims')
  return { sub, net, svc, sn, act, cfp, rtr, jti, iat, exp, ...(nm === undefined ? {} : { nm }) }
}
