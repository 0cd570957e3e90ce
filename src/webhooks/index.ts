/**
 * `zerohook/webhooks`: sign and verify webhooks (Standard Webhooks and provider schemes) with
 * constant-time checks, timestamp tolerance and replay protection.
 */
export { signWebhook } from './sign.js'
export { verifyWebhook, DEFAULT_MAX_BODY_BYTES } from './verify.js'
export { listSchemes } from './registry.js'
export { createMemoryReplayStore, type MemoryReplayOptions } from './replay/memory.js'
export {
  createSqliteReplayStore,
  type SqliteReplayOptions,
  type SqliteReplayStore,
} from './replay/sqlite.js'
export type { ReplayStore } from './replay/store.js'
export { zoomUrlValidation, type ZoomUrlValidation } from './schemes/zoom.js'
export { twilioBodyUrl } from './schemes/twilio.js'
export type {
  HeadersInput,
  PrivateKeyInput,
  PublicKeyInput,
  ReplayOptions,
  SchemeName,
  Secret,
  SignOptions,
  VerifiedWebhook,
  VerifyOptions,
} from './types.js'
