/**
 * `zerohook/webhooks`: sign and verify webhooks (Standard Webhooks and provider schemes) with
 * constant-time checks, timestamp tolerance and replay protection; receive them through Express,
 * Fastify or node:http middleware; send them durably through an outbox, with an SSRF guard.
 */
export { signWebhook } from './sign.js'
export { verifyWebhook, DEFAULT_MAX_BODY_BYTES } from './verify.js'
export { listSchemes } from './registry.js'
export { answerChallenge, type ChallengeOptions } from './challenge.js'
export { fetchKeyOverHttps } from './key-fetch.js'
export { createMemoryReplayStore, type MemoryReplayOptions } from './replay/memory.js'
export {
  createSqliteReplayStore,
  type SqliteReplayOptions,
  type SqliteReplayStore,
} from './replay/sqlite.js'
export type { ReplayStore } from './replay/store.js'
export { zoomUrlValidation, type ZoomUrlValidation } from './schemes/zoom.js'
export { twilioBodyUrl } from './schemes/twilio.js'
export { signSnsMessage } from './schemes/aws-sns.js'
export { mailgunSignature } from './schemes/mailgun.js'
export { fileLearnedSecret, type LearnedSecretStore } from './middleware/learned-secret.js'
export { generateWebhookSecret, generateWebhookKeyPair, type WebhookKeyPair } from './secrets.js'
export { webhookHandler, type NodeReceiverOptions } from './middleware/node.js'
export { webhookMiddleware, type ExpressReceiverOptions } from './middleware/express.js'
export { fastifyWebhooks, type FastifyReceiverOptions } from './middleware/fastify.js'
export { readRawBody } from './middleware/body.js'
export type { ReceivedWebhook, ReceiverOptions, ReceiverLog } from './middleware/receiver.js'
export {
  bearerToken,
  clientCertificate,
  ipAllowList,
  type ClientCertificateOptions,
  type InboundGuard,
  type IpAllowListOptions,
} from './guards/inbound.js'
export {
  createSsrfGuard,
  type ResolvedAddress,
  type Resolver,
  type SsrfGuard,
  type SsrfGuardOptions,
} from './guards/ssrf.js'
export { isBlockedAddress } from './guards/addresses.js'
export {
  createSender,
  type OutgoingMessage,
  type Sender,
  type SenderLog,
  type SenderOptions,
} from './sender/sender.js'
export { STANDARD_SCHEDULE } from './sender/schedule.js'
export { createSqliteOutbox, type SqliteOutboxOptions } from './sender/outbox-sqlite.js'
export { createMemoryOutbox } from './sender/outbox-memory.js'
export {
  createHttpTransport,
  type HttpTransport,
  type HttpTransportOptions,
} from './sender/transport.js'
export type {
  AttemptRecord,
  MessageState,
  OutboxMessage,
  OutboxStore,
  SenderClock,
  SenderEvents,
  SigningConfig,
  Transport,
  TransportRequest,
  TransportResponse,
} from './sender/types.js'
export type {
  ChallengeAnswer,
  HeadersInput,
  KeyFetcher,
  KeyRequest,
  SchemeOptionValue,
  SchemeOptions,
  PrivateKeyInput,
  PublicKeyInput,
  ReplayOptions,
  SchemeName,
  Secret,
  SignOptions,
  VerifiedWebhook,
  VerifyOptions,
} from './types.js'
