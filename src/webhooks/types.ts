import type { KeyObject } from 'node:crypto'
import type { HeaderReader } from './headers.js'
import type { ReplayStore } from './replay/store.js'

/** A shared secret: the provider's string as given (`whsec_...`, a signing secret, a token) or raw bytes. */
export type Secret = string | Uint8Array

/** An Ed25519 private key: `whsk_...`, a hex seed (Discord), raw 32/64 bytes, or a KeyObject. */
export type PrivateKeyInput = string | Uint8Array | KeyObject

/** An Ed25519 public key: `whpk_...`, hex (Discord), raw 32 bytes, or a KeyObject. */
export type PublicKeyInput = string | Uint8Array | KeyObject

/** HTTP headers as Node (`req.headers`) or fetch (`Headers`) give them. */
export type HeadersInput =
  | { get(name: string): string | null; forEach(cb: (value: string, name: string) => void): void }
  | Readonly<Record<string, string | readonly string[] | number | undefined>>

/** Where to remember accepted ids, and for how long. */
export interface ReplayOptions {
  readonly store: ReplayStore
  /** Prefix for the key, when one store serves several receivers of the same scheme. */
  readonly namespace?: string
  /** Seconds to remember an id; default twice the tolerance, or 72 h when the scheme signs no time. */
  readonly ttl?: number
}

/** The built-in schemes. */
export type SchemeName =
  | 'standard'
  | 'github'
  | 'stripe'
  | 'slack'
  | 'shopify'
  | 'gitlab'
  | 'twilio'
  | 'discord'
  | 'svix'
  | 'linear'
  | 'zoom'
  | 'paddle'
  | 'bitbucket'
  | 'clerk'
  | 'resend'
  | 'brex'
  | 'sendgrid'
  | 'mailgun'
  | 'postmark'
  | 'pagerduty'
  | 'sentry'
  | 'intercom'
  | 'hubspot'
  | 'square'
  | 'twitch'
  | 'zendesk'
  | 'okta'
  | 'xero'
  | 'typeform'
  | 'calendly'
  | 'vercel'
  | 'jira'
  | 'msteams'
  | 'aws-sns'
  | 'google-pubsub'
  | 'plaid'
  | 'mux'
  | 'coinbase'
  | 'dropbox'
  | 'box'
  | 'asana'
  | 'contentful'
  | 'sanity'
  | 'woocommerce'
  | 'frameio'
  | 'pipedrive'
  | 'lemonsqueezy'

/** One scheme-specific option value; each scheme documents and validates its own options. */
export type SchemeOptionValue = string | number | boolean | readonly string[]

/** Scheme-specific options (AWS SNS topic ARNs, a Pub/Sub audience...); see each scheme. */
export type SchemeOptions = Readonly<Record<string, SchemeOptionValue>>

/** A request for public key material (an SNS certificate, Google's JWKS, a Plaid key). */
export interface KeyRequest {
  readonly url: string
  readonly method?: 'GET' | 'POST'
  readonly headers?: Readonly<Record<string, string>>
  readonly body?: string
}

/**
 * Fetches public key material over HTTPS and resolves the response text. Schemes check the
 * host before they call it; the default refuses anything but https, waits 5 s at most and reads
 * 256 KiB at most. Tests and air-gapped receivers pass their own.
 */
export type KeyFetcher = (request: KeyRequest) => Promise<string>

/** Options of {@link signWebhook}. */
export interface SignOptions {
  readonly scheme: SchemeName
  /** Shared secret(s); several give several signatures where the scheme allows it (rotation). */
  readonly secret?: Secret | readonly Secret[]
  /** Ed25519 private key(s), for `standard` v1a and `discord`. */
  readonly key?: PrivateKeyInput | readonly PrivateKeyInput[]
  /** Message id, for schemes that carry one; a random one when omitted. */
  readonly id?: string
  /** Unix seconds; now when omitted. */
  readonly timestamp?: number
  readonly body: Uint8Array | string
  /** The full URL the request goes to (Twilio, HubSpot, Square sign it). */
  readonly url?: string
  /** The HTTP method the request is sent with; default POST (HubSpot, Contentful sign it). */
  readonly method?: string
  /** Scheme-specific options; see the scheme's documentation. */
  readonly options?: SchemeOptions
  /** GitHub: also add the legacy `X-Hub-Signature` (sha1). */
  readonly legacySha1?: boolean
}

/** Options of {@link verifyWebhook}. */
export interface VerifyOptions {
  readonly scheme: SchemeName
  readonly secret?: Secret
  /** Several secrets (rotation): the message verifies if any matches. */
  readonly secrets?: readonly Secret[]
  /** Ed25519 public key(s), for `standard` v1a and `discord`. */
  readonly publicKey?: PublicKeyInput | readonly PublicKeyInput[]
  readonly headers: HeadersInput
  /** The raw body bytes, exactly as received. Strings and parsed objects are refused. */
  readonly body: Uint8Array
  /** The full public URL the provider called, query included (Twilio, HubSpot, Square...). */
  readonly url?: string
  /** The request's HTTP method; default POST (HubSpot and Contentful sign it). */
  readonly method?: string
  /** Scheme-specific options; see the scheme's documentation. */
  readonly options?: SchemeOptions
  /** Fetches key material for schemes signed with a provider's published keys (AWS SNS...). */
  readonly fetchKey?: KeyFetcher
  /** The current time, for tests: a Date or Unix seconds. */
  readonly now?: Date | number
  /** Allowed clock difference in seconds, both ways; the scheme's default when omitted. */
  readonly tolerance?: number
  readonly replay?: ReplayStore | ReplayOptions
  /** Default 1 MiB. */
  readonly maxBodyBytes?: number
  /** Longest accepted value of any header the scheme reads; default 4096. */
  readonly maxHeaderBytes?: number
  /** GitHub: accept the legacy sha1 `X-Hub-Signature` when no sha256 one is present. */
  readonly legacySha1?: boolean
}

/** What a verified webhook is. */
export interface VerifiedWebhook {
  /** The scheme's message id (or a digest of the signature when the scheme carries none). */
  readonly id: string
  /** The signed Unix seconds, or null when the scheme signs no time. */
  readonly timestamp: number | null
  readonly scheme: SchemeName
  /** The keys recorded in the replay store (none without one); forget them to accept a retry. */
  readonly replayKeys: readonly string[]
}

/** The current time and the tolerance a scheme checks its timestamp against. */
export interface Clock {
  readonly now: number
  readonly tolerance: number
}

/** What {@link verifyWebhook} hands a scheme, already validated and limited. */
export interface SchemeVerifyInput {
  readonly headers: HeaderReader
  readonly body: Uint8Array
  readonly secrets: readonly Secret[]
  readonly publicKeys: readonly PublicKeyInput[]
  readonly url: string | undefined
  /** Upper case; POST when the caller did not say. */
  readonly method: string
  readonly options: SchemeOptions
  readonly fetchKey: KeyFetcher
  readonly clock: Clock
  readonly legacySha1: boolean
}

/** What {@link signWebhook} hands a scheme. */
export interface SchemeSignInput {
  readonly secrets: readonly Secret[]
  readonly keys: readonly PrivateKeyInput[]
  readonly id: string | undefined
  readonly timestamp: number
  readonly body: Uint8Array
  readonly url: string | undefined
  /** Upper case; POST when the caller did not say. */
  readonly method: string
  readonly options: SchemeOptions
  readonly legacySha1: boolean
}

/** What a scheme found in a message whose signature it verified. */
export interface SchemeVerified {
  readonly id: string
  readonly timestamp: number | null
  /**
   * Present when the id is not covered by the signature (a delivery header anyone can change):
   * the signed parts, digested into a second replay key so that a replay with a new id is caught.
   */
  readonly unsignedId?: readonly (string | Uint8Array)[]
}

/** One webhook signature scheme. Every scheme passes the shared compliance suite. */
export interface WebhookScheme {
  readonly name: SchemeName
  /** Default tolerance in seconds, or null when the scheme signs no timestamp. */
  readonly tolerance: number | null
  sign(input: SchemeSignInput): Record<string, string>
  /** Throws (or rejects with) a ZhError when the message does not verify. */
  verify(input: SchemeVerifyInput): SchemeVerified | Promise<SchemeVerified>
  /**
   * Answers the provider's handshake or URL check (Slack `url_verification`, Zoom, Twitch,
   * Okta, Dropbox, Asana, SNS `SubscriptionConfirmation`), or null when the request is not one.
   * A challenge the provider signs is verified first; one it does not sign is only echoed.
   */
  challenge?(input: ChallengeInput): ChallengeAnswer | null | Promise<ChallengeAnswer | null>
}

/** What {@link answerChallenge} hands a scheme: a verify input, plus the query string. */
export interface ChallengeInput extends SchemeVerifyInput {
  /** The request URL's query parameters (Dropbox sends `?challenge=`). */
  readonly query: URLSearchParams
}

/** The response a challenge needs: send it as is, and do not forward the request. */
export interface ChallengeAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
  /**
   * A secret the provider handed over in the handshake (Asana's `X-Hook-Secret`): keep it
   * (secretly) and verify this webhook's later messages with it.
   */
  readonly learnedSecret?: string
}
