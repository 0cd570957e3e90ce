import { randomBytes, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { digestEqual, fromBase64, hmac } from '../crypto.js'
import {
  ed25519PrivateKey,
  ed25519PublicKey,
  isStandardSecret,
  standardSecretKey,
} from '../keys.js'
import { checkFreshness, parseSeconds } from '../timestamp.js'
import type {
  SchemeName,
  SchemeSignInput,
  SchemeVerified,
  SchemeVerifyInput,
  WebhookScheme,
} from '../types.js'
import { MAX_SIGNATURES, checkId } from './shared.js'

/**
 * Standard Webhooks (standardwebhooks.com): `<prefix>-id`, `-timestamp` and `-signature` headers;
 * the signed content is `id.timestamp.body`; `v1,` is HMAC-SHA256 with a `whsec_` secret (or its
 * bare base64, as the reference libraries take it), `v1a,` Ed25519 with `whsk_`/`whpk_` keys, both
 * base64; several space-separated signatures allow key rotation, and versions this verifier does
 * not know are ignored. A secret is an HMAC secret unless its prefix says it is a key (`whpk_`,
 * `whsk_`); `publicKey` takes keys only.
 */
export function createStandardScheme(name: SchemeName, prefix: string): WebhookScheme {
  return {
    name,
    tolerance: 300,
    sign: (input) => signStandard(input, prefix),
    verify: (input) => verifyStandard(input, prefix),
  }
}

/** The `standard` scheme, with `webhook-*` headers. */
export const standard = createStandardScheme('standard', 'webhook')

/** Signs with every secret (v1) and every key (v1a) given. */
export function signStandard(input: SchemeSignInput, prefix: string): Record<string, string> {
  const id = input.id ?? `msg_${randomBytes(18).toString('base64url')}`
  const timestamp = String(input.timestamp)
  const signatures: string[] = []
  for (const secret of input.secrets) {
    const mac = hmac('sha256', standardSecretKey(secret), id, '.', timestamp, '.', input.body)
    signatures.push(`v1,${mac.toString('base64')}`)
  }
  if (input.keys.length > 0) {
    const content = Buffer.concat([Buffer.from(`${id}.${timestamp}.`), input.body])
    for (const key of input.keys) {
      signatures.push(`v1a,${edSign(null, content, ed25519PrivateKey(key)).toString('base64')}`)
    }
  }
  if (signatures.length === 0) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'pass a whsec_ secret or a whsk_ key')
  }
  return {
    [`${prefix}-id`]: id,
    [`${prefix}-timestamp`]: timestamp,
    [`${prefix}-signature`]: signatures.join(' '),
  }
}

/** Verifies the three headers; see {@link createStandardScheme}. */
export function verifyStandard(input: SchemeVerifyInput, prefix: string): SchemeVerified {
  const { hmacKeys, publicKeys } = standardKeys(input)
  const { headers, body } = input
  const id = checkId(headers.required(`${prefix}-id`, { noComma: true }), `${prefix}-id`)
  const stamp = headers.required(`${prefix}-timestamp`, { noComma: true })
  const timestamp = parseSeconds(stamp, `${prefix}-timestamp`)
  checkFreshness(timestamp, input.clock)
  const entries = parseSignatures(headers.required(`${prefix}-signature`), `${prefix}-signature`)

  const v1 = entries.filter((e) => e.version === 'v1')
  const v1a = entries.filter((e) => e.version === 'v1a')
  const checkable =
    (v1.length > 0 && hmacKeys.length > 0) || (v1a.length > 0 && publicKeys.length > 0)
  if (!checkable) {
    const seen = [...new Set(entries.map((e) => e.version))].join(', ')
    throw new ZhError('ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED', `signatures: ${seen}`)
  }
  if (v1.length > 0 && hmacKeys.length > 0) {
    const presented = v1.map((e) => fromBase64(e.value))
    for (const key of hmacKeys) {
      const expected = hmac('sha256', key, id, '.', stamp, '.', body)
      if (presented.some((sig) => digestEqual(expected, sig))) return { id, timestamp }
    }
  }
  if (v1a.length > 0 && publicKeys.length > 0) {
    const content = Buffer.concat([Buffer.from(`${id}.${stamp}.`), body])
    for (const entry of v1a) {
      const sig = fromBase64(entry.value)
      if (sig?.length !== 64) continue
      if (publicKeys.some((key) => edVerify(null, content, key, sig))) return { id, timestamp }
    }
  }
  throw new ZhError('ZH_WEBHOOK_SIGNATURE_INVALID', prefix)
}

function standardKeys(input: SchemeVerifyInput): {
  hmacKeys: Uint8Array[]
  publicKeys: KeyObject[]
} {
  const hmacKeys: Uint8Array[] = []
  const publicKeys = input.publicKeys.map(ed25519PublicKey)
  for (const secret of input.secrets) {
    if (isStandardSecret(secret)) hmacKeys.push(standardSecretKey(secret))
    else publicKeys.push(ed25519PublicKey(secret))
  }
  return { hmacKeys, publicKeys }
}

/** `v1,<b64> v1a,<b64> ...`: each entry is `<version>,<value>`; anything else is malformed. */
function parseSignatures(header: string, name: string): { version: string; value: string }[] {
  const parts = header.split(' ').filter((part) => part !== '')
  if (parts.length > MAX_SIGNATURES) {
    throw new ZhError(
      'ZH_WEBHOOK_HEADER_MALFORMED',
      `${name} has more than ${MAX_SIGNATURES} signatures`,
    )
  }
  return parts.map((part) => {
    const comma = part.indexOf(',')
    const version = part.slice(0, comma)
    if (comma <= 0 || part.includes(',', comma + 1) || !/^v[0-9]+[a-z]*$/.test(version)) {
      throw new ZhError(
        'ZH_WEBHOOK_HEADER_MALFORMED',
        `${name} entries are "<version>,<signature>"`,
      )
    }
    return { version, value: part.slice(comma + 1) }
  })
}
