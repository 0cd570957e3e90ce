import { createStandardScheme } from './standard.js'

/**
 * Resend: delivered through Svix with `svix-id`, `svix-timestamp` (Unix seconds) and
 * `svix-signature` headers. Each space-separated `v1,<base64>` entry is the HMAC-SHA256 of
 * `svix-id.svix-timestamp.body` keyed with the webhook's `whsec_` signing secret (the base64
 * after the prefix). 5 minutes of tolerance; the id is the signed `svix-id`, kept across retries.
 */
// Vector: Resend publishes none; the test uses Svix's documented example (docs.svix.com/receiving/verifying-payloads/how), also the Standard Webhooks spec's.
export const resend = createStandardScheme('resend', 'svix')
