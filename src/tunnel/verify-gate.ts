import type { IncomingMessage } from 'node:http'
import { ZhError, isZhError } from '../errors.js'
import type { Answer } from '../webhooks/middleware/answer.js'
import { readRawBody } from '../webhooks/middleware/body.js'
import {
  mustHaveSecret,
  queryOf,
  replyToChallenge,
  secretsWithLearned,
} from '../webhooks/middleware/challenge.js'
import type { LearnedSecretStore } from '../webhooks/middleware/learned-secret.js'
import type { ReplayStore } from '../webhooks/replay/store.js'
import type { PublicKeyInput, SchemeName, SchemeOptions, Secret } from '../webhooks/types.js'
import { verifyWebhook } from '../webhooks/verify.js'

/** How a tunnel host checks webhooks before its app sees them. */
export interface TunnelVerifyOptions {
  /** Any scheme of `zerohook/webhooks` (`standard`, `github`, `stripe`...). */
  scheme: SchemeName
  /** Shared secrets; several while rotating (a message passes if any matches). */
  secrets?: readonly Secret[]
  /** Ed25519 public keys, for `standard` v1a and `discord`. */
  publicKeys?: readonly PublicKeyInput[]
  /** Where accepted ids are remembered; the caller owns (and closes) it. */
  replay: ReplayStore
  /** Allowed clock difference in seconds; the scheme's default when omitted. */
  tolerance?: number
  /** Public base URL the provider calls (Twilio signs the full URL): `base + req.url`. */
  publicUrl?: string
  /** The scheme's options (see the scheme). */
  options?: SchemeOptions
  /**
   * Where to keep a secret the provider hands over in its handshake (Asana), trust on first
   * use; without it such a handshake is refused (ZH_WEBHOOK_SECRET_NOT_KEPT).
   */
  learnedSecret?: LearnedSecretStore
  /** The clock, for tests: Unix seconds. */
  now?: () => number
}

/** A provider's handshake or URL check the gate answered: send it back, forward nothing. */
export interface AnsweredChallenge {
  challenge: Answer
}

/** A verified request: its body, and how to accept a retry of it if delivery failed. */
export interface PassedWebhook {
  id: string
  body: Buffer
  /** Forgets the id, so the sender's retry is accepted (the app never got it, or failed). */
  release(): Promise<void>
  /** Marks the delivery finished (a repeat is a replay from now on, not "in progress"). */
  done(): void
}

/**
 * The gate in front of the app: reads the body (capped at `maxBodyBytes`), answers the
 * provider's handshake or URL check (Slack, Zoom, Dropbox, Asana...: verified first when
 * signed, never forwarded), else verifies signature, timestamp and replay, and only then
 * resolves the bytes to forward. It rejects with the webhook layer's ZhError; a repeat of an id
 * still being delivered is ZH_WEBHOOK_IN_PROGRESS, so the sender retries later instead of
 * counting it as delivered.
 *
 * @example
 * ```ts
 * const gate = createVerifyGate({ scheme: 'github', secrets: [s], replay }, 1024 * 1024)
 * const passed = await gate(req) // throws ZH_WEBHOOK_SIGNATURE_INVALID, ZH_WEBHOOK_REPLAYED...
 * ```
 */
export function createVerifyGate(
  opts: TunnelVerifyOptions,
  maxBodyBytes: number,
): (req: IncomingMessage) => Promise<PassedWebhook | AnsweredChallenge> {
  const configured = opts.secrets ?? []
  const publicKeys = opts.publicKeys ?? []
  const learned = opts.learnedSecret
  // Schemes signed with a provider's published keys (AWS SNS) need only their options.
  const keyless = configured.length + publicKeys.length === 0
  if (keyless && !learned && Object.keys(opts.options ?? {}).length === 0)
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'pass a secret or a public key to verify with')
  const running = new Set<string>()
  return async (req) => {
    const body = await readRawBody(req, req.headers['content-length'], maxBodyBytes)
    const verify = {
      scheme: opts.scheme,
      secrets: await secretsWithLearned(configured, learned),
      publicKey: publicKeys,
      headers: req.headersDistinct,
      body,
      method: req.method,
      url: opts.publicUrl ? opts.publicUrl.replace(/\/$/, '') + (req.url ?? '/') : undefined,
      options: opts.options,
      now: opts.now?.(),
      tolerance: opts.tolerance,
      maxBodyBytes,
    }
    const challenge = await replyToChallenge({ ...verify, query: queryOf(req.url) }, learned)
    if (challenge) return { challenge }
    mustHaveSecret(verify.secrets, publicKeys.length, learned)
    const verified = await verifyWebhook({ ...verify, replay: opts.replay }).catch(
      (err: unknown) => {
        if (isZhError(err, 'ZH_WEBHOOK_REPLAYED') && running.has(err.detail ?? ''))
          throw new ZhError('ZH_WEBHOOK_IN_PROGRESS', err.detail)
        throw err
      },
    )
    running.add(verified.id)
    let finished = false
    const done = () => {
      if (finished) return
      finished = true
      running.delete(verified.id)
    }
    return {
      id: verified.id,
      body,
      done,
      release: async () => {
        done()
        await Promise.all(verified.replayKeys.map((key) => opts.replay.forget(key)))
      },
    }
  }
}
