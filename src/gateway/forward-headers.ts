import type { IncomingHttpHeaders } from 'node:http'

/** Set by the gateway on every forwarded webhook: the scheme it verified. */
export const VERIFIED_HEADER = 'x-zerohook-gateway-verified'
/** Set by the gateway: its message id, the same on every retry (dedup key for the receiver). */
export const ID_HEADER = 'x-zerohook-gateway-id'

// The provider headers a receiver may need (content type, signatures, event and delivery
// ids), by prefix. An allow-list, not a deny-list: the caller's Authorization (the gateway's
// bearer token), cookies, hop-by-hop and X-Forwarded-* headers never cross, and nobody outside
// can set an X-Zerohook-* header the receiver would trust.
const PREFIXES = [
  'content-type',
  'user-agent',
  'x-github-',
  'x-hub-signature',
  'x-gitlab-',
  'x-shopify-',
  'x-slack-',
  'x-signature',
  'x-twilio-',
  'i-twilio-',
  'x-zm-',
  'x-event-key',
  'x-request-uuid',
  'x-request-id',
  'x-attempt-number',
  'x-hook-uuid',
  'stripe-signature',
  'paddle-signature',
  'linear-',
  'svix-',
  'webhook-',
  'idempotency-key',
  // The schemes of issue 15; never a header that carries the secret itself (Authorization for
  // Okta, Pipedrive, Postmark, Teams, Pub/Sub; Asana's X-Hook-Secret).
  'box-',
  'calendly-',
  'mux-',
  'plaid-verification',
  'sanity-webhook-',
  'sentry-hook-',
  'twitch-eventsub-',
  'typeform-signature',
  'x-amz-sns-',
  'x-atlassian-',
  'x-cc-webhook-',
  'x-contentful-',
  'x-dropbox-',
  'x-frameio-',
  'x-goog-',
  'x-hook-signature',
  'x-hubspot-',
  'x-pagerduty-',
  'x-square-',
  'x-vercel-',
  'x-wc-webhook-',
  'x-xero-',
  'x-zendesk-webhook-',
]

/**
 * The headers forwarded with a verified webhook: the provider's headers that matter (see the
 * prefixes above, plus the route's `forwardHeaders`), then the gateway's own two, which always
 * win over anything the caller sent.
 *
 * @example
 * ```ts
 * forwardHeaders(req.headers, [], { scheme: 'github', id: 'gw_abc' })
 * // { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=...', ..., 'x-zerohook-gateway-verified': 'github' }
 * ```
 */
export function forwardHeaders(
  incoming: IncomingHttpHeaders,
  extra: readonly string[],
  gateway: { readonly scheme: string; readonly id: string },
): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || name.startsWith('x-zerohook-')) continue
    if (!PREFIXES.some((p) => name.startsWith(p)) && !extra.includes(name)) continue
    out[name] = Array.isArray(value) ? value.join(', ') : value
  }
  out[VERIFIED_HEADER] = gateway.scheme
  out[ID_HEADER] = gateway.id
  return out
}
