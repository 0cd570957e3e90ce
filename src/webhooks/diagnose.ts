import { describeCode, isZhError, type ZhCode } from '../errors.js'
import { bodyVariants } from './body-variants.js'
import { asList } from './keys.js'
import { getScheme, listSchemes } from './registry.js'
import { signWebhook } from './sign.js'
import { unixSeconds } from './timestamp.js'
import type { SchemeName, VerifiedWebhook, VerifyOptions } from './types.js'
import { verifyWebhook } from './verify.js'

/** What {@link diagnoseWebhook} found: the message verifies, or why not and what to do. */
export type Diagnosis =
  | { readonly ok: true; readonly verified: VerifiedWebhook }
  | {
      readonly ok: false
      readonly code: ZhCode
      /** The short detail that goes with the code. */
      readonly detail: string
      /** What is wrong, in a sentence. */
      readonly reason: string
      /** What to do about it. */
      readonly fix: string
      /** The signed time, when the signature verified and only the clock refused the message. */
      readonly signedAt?: number
    }

type Failure = Extract<Diagnosis, { ok: false }>
type Options = Omit<VerifyOptions, 'replay'>
type Attempt = { ok: true; verified: VerifiedWebhook } | { ok: false; code: ZhCode; detail: string }

// A tolerance no clock difference exceeds (a century): the signature alone decides.
const ANY_TIME = 100 * 365 * 24 * 3600

/**
 * Verifies a webhook like {@link verifyWebhook} (without replay) and, when it fails, finds out
 * why: a valid signature outside the clock's tolerance (verified again with the time check
 * relaxed), a body changed after signing (verified again with the usual changes undone), a
 * wrong secret (nothing of that verifies), a missing or malformed header.
 *
 * @example
 * ```ts
 * const result = await diagnoseWebhook({ scheme: 'github', secret, headers, body })
 * if (!result.ok) console.error(`${result.code}: ${result.reason}\nfix: ${result.fix}`)
 * ```
 */
export async function diagnoseWebhook(options: Options): Promise<Diagnosis> {
  const first = await attempt(options)
  if (first.ok) return first
  let failure = first
  let base = options
  let late: string | undefined
  if (
    failure.code === 'ZH_WEBHOOK_TIMESTAMP_STALE' ||
    failure.code === 'ZH_WEBHOOK_TIMESTAMP_FUTURE'
  ) {
    base = { ...options, tolerance: ANY_TIME }
    const relaxed = await attempt(base)
    if (relaxed.ok) return clockSkew(options, relaxed.verified, failure)
    late = failure.detail
    failure = relaxed
  }
  switch (failure.code) {
    case 'ZH_WEBHOOK_SIGNATURE_INVALID':
      return signatureMismatch(base, failure, late)
    case 'ZH_WEBHOOK_HEADER_MISSING':
      return headerMissing(options, failure)
    case 'ZH_WEBHOOK_HEADER_MALFORMED':
    case 'ZH_WEBHOOK_HEADER_TOO_LARGE':
    case 'ZH_WEBHOOK_TIMESTAMP_INVALID':
      return {
        ...failure,
        reason: `a header is not in the form ${options.scheme} sends: ${failure.detail}`,
        fix: 'verify the header exactly as the provider sent it: a proxy or the capture may have joined two headers into one, wrapped a line or changed the value',
      }
    case 'ZH_WEBHOOK_SECRET_INVALID':
      return {
        ...failure,
        reason: `the secret or key given is not in the form ${options.scheme} uses: ${failure.detail}`,
        fix: "copy it again, whole, from the provider's webhook settings",
      }
    default:
      return { ...failure, reason: failure.detail, fix: fixOf(failure.code) }
  }
}

async function attempt(options: Options): Promise<Attempt> {
  try {
    return { ok: true, verified: await verifyWebhook(options) }
  } catch (err) {
    if (!isZhError(err)) throw err
    return { ok: false, code: err.code, detail: err.detail ?? '' }
  }
}

function clockSkew(
  options: Options,
  verified: VerifiedWebhook,
  failure: Attempt & { ok: false },
): Failure {
  const now = unixSeconds(options.now)
  const tolerance = options.tolerance ?? getScheme(options.scheme).tolerance ?? 0
  const signedAt = verified.timestamp
  if (signedAt === null) {
    return {
      ...failure,
      reason: `the signature is valid, but the message is outside the allowed time (${failure.detail}, tolerance ${tolerance} s)`,
      fix: 'check both clocks (NTP), or pass --now with the time the message was sent to check an old capture',
    }
  }
  const off = duration(Math.abs(now - signedAt))
  const when = `${new Date(signedAt * 1000).toISOString().replace('.000Z', 'Z')} (${signedAt})`
  if (signedAt < now) {
    return {
      ...failure,
      signedAt,
      reason: `the signature is valid, but the message was signed at ${when}, ${off} before this clock's now: more than the tolerance of ${tolerance} s`,
      fix: `to check an old capture, pass --now ${signedAt}; a live message this late was delayed or replayed, or a clock is wrong: sync both with NTP`,
    }
  }
  return {
    ...failure,
    signedAt,
    reason: `the signature is valid, but the message is signed ${off} ahead of this clock (at ${when}): more than the tolerance of ${tolerance} s`,
    fix: "a clock is wrong, the sender's or this one: sync both with NTP",
  }
}

async function signatureMismatch(
  options: Options,
  failure: Attempt & { ok: false },
  late?: string,
): Promise<Failure> {
  const also = late ? ` (and the timestamp is ${late})` : ''
  for (const variant of bodyVariants(Buffer.from(options.body))) {
    const tried = await attempt({ ...options, body: variant.body })
    if (tried.ok) {
      return {
        ok: false,
        code: 'ZH_WEBHOOK_BODY_CHANGED',
        detail: variant.change,
        reason: `the secret is right, but the body was changed after it was signed: ${variant.change}${also}`,
        fix: 'verify the raw body bytes exactly as received, before any JSON parsing, pretty-printing or editing (and save captures byte for byte)',
      }
    }
  }
  const keys =
    asList(options.secret).length +
    asList(options.secrets).length +
    asList(options.publicKey).length
  // A scheme that signs the URL refuses to verify without one.
  const withoutUrl = options.url ? await attempt({ ...options, url: undefined }) : undefined
  const url =
    withoutUrl?.ok === false && withoutUrl.code === 'ZH_WEBHOOK_OPTIONS_INVALID'
      ? `; ${options.scheme} signs the URL: pass --url exactly as the provider calls it (this was ${options.url})`
      : ''
  return {
    ...failure,
    reason: `no signature in the request matches under the ${keys === 1 ? 'secret' : `${keys} secrets or keys`} given, and undoing the usual changes to a body (final newline, line ends, JSON written again) does not help either: the secret is most likely wrong${also}`,
    fix: `copy this endpoint's signing secret again from the provider (test and live modes have different secrets; a Standard Webhooks secret is the whole whsec_... value)${url}`,
  }
}

function headerMissing(options: Options, failure: Attempt & { ok: false }): Failure {
  const others = schemesSent(options.headers).filter((name) => name !== options.scheme)
  const hint =
    others.length > 0
      ? `; its headers are those of ${others.join(', ')}: try --scheme ${others[0]}`
      : ''
  return {
    ...failure,
    reason: `the request has no ${failure.detail} header, which ${options.scheme} needs`,
    fix: `capture the request as the provider sent it (a proxy or tunnel may drop headers)${hint}`,
  }
}

// The schemes whose headers (the names their signer sets) all appear in the request.
function schemesSent(headers: Options['headers']): SchemeName[] {
  const present = new Set<string>()
  if (typeof headers.get === 'function' && typeof headers.forEach === 'function') {
    headers.forEach((_, name: string) => present.add(name.toLowerCase()))
  } else {
    for (const name of Object.keys(headers)) present.add(name.toLowerCase())
  }
  const secret = 'whsec_c2NoZW1lIGhpbnQgc2VjcmV0IGJ5dGVz'
  return listSchemes().filter((scheme) => {
    let names: string[]
    try {
      names = Object.keys(signWebhook({ scheme, secret, body: '{}', url: 'https://example.com/' }))
    } catch {
      return false
    }
    const own = names
      .map((n) => n.toLowerCase())
      .filter((n) => n !== 'authorization' && n !== 'content-type')
    return own.length > 0 && own.every((n) => present.has(n))
  })
}

function duration(seconds: number): string {
  if (seconds < 120) return `${seconds} s`
  if (seconds < 2 * 3600) return `${seconds} s (${Math.round(seconds / 60)} min)`
  if (seconds < 2 * 86400) return `${seconds} s (${Math.round(seconds / 3600)} h)`
  return `${seconds} s (${Math.round(seconds / 86400)} days)`
}

function fixOf(code: ZhCode): string {
  switch (code) {
    case 'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED':
      return 'configure a secret or key of the signature version the sender uses (a whpk_ public key for v1a, say)'
    case 'ZH_WEBHOOK_OPTIONS_INVALID':
      return 'pass what the detail names (--secret-file, --public-key, --url or --option key=value)'
    default:
      return describeCode(code).message
  }
}
