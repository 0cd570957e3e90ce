import { getScheme } from './registry.js'
import { signWith } from './sign-with.js'
import type { SignOptions } from './types.js'

/**
 * Signs a webhook body and returns the headers to send with it: the signature(s) and, where
 * the scheme has them, the id and the timestamp. Several secrets give several signatures where
 * the scheme carries them (Standard Webhooks, Svix, Stripe, Paddle), for key rotation.
 *
 * @example
 * ```ts
 * const body = JSON.stringify({ type: 'build.finished', data: { id: 42 } })
 * const headers = signWebhook({ scheme: 'standard', secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', body })
 * await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body })
 * ```
 */
export function signWebhook(options: SignOptions): Record<string, string> {
  return signWith(getScheme(options.scheme), options)
}
