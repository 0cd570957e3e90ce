import { createV0Scheme } from './v0.js'

/**
 * Slack: `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:<timestamp>:<body>">` with the app's
 * signing secret, and `X-Slack-Request-Timestamp` in Unix seconds (5 minutes tolerance).
 */
export const slack = createV0Scheme('slack', 'X-Slack-Signature', 'X-Slack-Request-Timestamp')
