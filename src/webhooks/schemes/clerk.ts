import { createStandardScheme } from './standard.js'

/**
 * Clerk: delivered through Svix with `svix-id`, `svix-timestamp` (Unix seconds) and
 * `svix-signature` headers. Each space-separated `v1,<base64>` entry is the HMAC-SHA256 of
 * `svix-id.svix-timestamp.body` keyed with the endpoint's `whsec_` signing secret (the base64
 * after the prefix). 5 minutes of tolerance, as Svix's libraries allow; the id is the signed
 * `svix-id`, which stays the same across retries.
 */
// Vector: Clerk publishes none; the test uses Svix's documented example (docs.svix.com/receiving/verifying-payloads/how), also the Standard Webhooks spec's.
export const clerk = createStandardScheme('clerk', 'svix')
