import { ZhError } from '../../errors.js'
import { digestEqual } from '../crypto.js'
import { hmacKey } from '../keys.js'
import type { SchemeSignInput, SchemeVerifyInput, Secret } from '../types.js'

/** Most signatures read from one header (rotation needs a few; more is an attempt to burn CPU). */
export const MAX_SIGNATURES = 16

const ID = /^[\x21-\x2b\x2d-\x7e]{1,256}$/

/** A message id is 1-256 printable ASCII characters but the comma; it becomes a replay key. */
export function checkId(id: string, header: string): string {
  if (!ID.test(id)) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${header} is not a valid id`)
  return id
}

/** The HMAC keys of a verifier's secrets; at least one is required. */
export function verifyKeys(input: SchemeVerifyInput, scheme: string): Uint8Array[] {
  return input.secrets.length > 0 ? input.secrets.map(hmacKey) : missingSecret(scheme)
}

/** The one HMAC key of a scheme that carries a single signature. */
export function signKey(input: SchemeSignInput, scheme: string): Uint8Array {
  const [secret, ...rest] = input.secrets
  if (secret === undefined) missingSecret(scheme)
  if (rest.length > 0) {
    throw new ZhError(
      'ZH_WEBHOOK_OPTIONS_INVALID',
      `${scheme} carries one signature; pass one secret`,
    )
  }
  return hmacKey(secret)
}

/** All HMAC keys of a signer, for schemes that carry several signatures. */
export function signKeys(input: SchemeSignInput, scheme: string): Uint8Array[] {
  return input.secrets.length > 0
    ? input.secrets.map((s: Secret) => hmacKey(s))
    : missingSecret(scheme)
}

function missingSecret(scheme: string): never {
  throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', `${scheme} needs a secret`)
}

/** `algo=value` (GitHub, Bitbucket, Slack, Zoom): the prefix must be `expected`. */
export function prefixed(header: string, name: string, expected: string): string {
  const eq = header.indexOf('=')
  if (eq <= 0)
    throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${name} has no "${expected}=" prefix`)
  const version = header.slice(0, eq)
  if (!/^[A-Za-z0-9]+$/.test(version)) throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', name)
  if (version !== expected) {
    throw new ZhError(
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
      `${name} is "${version}=", not "${expected}="`,
    )
  }
  return header.slice(eq + 1)
}

/**
 * True when some key's expected digest equals some presented signature. Every pair is
 * compared in constant time; the search stops only on a match.
 */
export function anyMatch(
  keys: readonly Uint8Array[],
  expected: (key: Uint8Array) => Buffer,
  presented: readonly (Uint8Array | undefined)[],
): boolean {
  for (const key of keys) {
    const digest = expected(key)
    for (const signature of presented) if (digestEqual(digest, signature)) return true
  }
  return false
}

/** Throws ZH_WEBHOOK_SIGNATURE_INVALID unless `ok`. */
export function mustMatch(ok: boolean, scheme: string): void {
  if (!ok) throw new ZhError('ZH_WEBHOOK_SIGNATURE_INVALID', scheme)
}
