import { createStandardScheme } from './standard.js'

/**
 * Svix: Standard Webhooks with `svix-id`, `svix-timestamp` and `svix-signature` headers and
 * `whsec_` secrets (Svix's white-labelled `webhook-*` headers are the `standard` scheme).
 */
export const svix = createStandardScheme('svix', 'svix')
