import { createBasicAuthScheme } from './basic-auth.js'

/**
 * Postmark: no signature; the webhook URL carries HTTP basic credentials
 * (`https://user:password@host/path`), which Postmark sends as `Authorization: Basic ...`. The
 * secret is `user:password`, compared in constant time. Neither the body nor a time is signed,
 * so no tolerance applies and the replay id is a digest of the body. Postmark also publishes its
 * sending IPs; combine this scheme with an IP allow-list where possible.
 */
// No published vector: Postmark documents no signature; the test checks the header encoding.
export const postmark = createBasicAuthScheme('postmark')
