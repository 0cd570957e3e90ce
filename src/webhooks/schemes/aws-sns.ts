import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto'
import { ZhError } from '../../errors.js'
import { fromBase64 } from '../crypto.js'
import { checkFreshness } from '../timestamp.js'
import type { PrivateKeyInput, SchemeOptions, SchemeVerifyInput, WebhookScheme } from '../types.js'
import { privateKeyOf } from './asymmetric-keys.js'
import { jsonObject } from './body-id.js'
import { fetchKeyText } from './key-cache.js'
import { mustMatch } from './shared.js'
import { snsCertificateKey, snsUrl } from './sns-certificate.js'

type MessageType = 'Notification' | 'SubscriptionConfirmation' | 'UnsubscribeConfirmation'

// The fields signed, in this order, per message type (AWS, "Verifying the signatures of Amazon
// SNS messages"); Subject only when present.
const CONFIRMATION = [
  'Message',
  'MessageId',
  'SubscribeURL',
  'Timestamp',
  'Token',
  'TopicArn',
  'Type',
]
const SIGNED: Readonly<Record<MessageType, readonly string[]>> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: CONFIRMATION,
  UnsubscribeConfirmation: CONFIRMATION,
}

// SNS's delivery headers, checked against the body when present.
const HEADERS = [
  ['x-amz-sns-message-type', 'Type'],
  ['x-amz-sns-message-id', 'MessageId'],
  ['x-amz-sns-topic-arn', 'TopicArn'],
] as const

const TOPIC_ARN = /^arn:aws(-cn|-us-gov|-iso[a-z-]*)?:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]{1,256}$/
const MESSAGE_ID = /^[A-Za-z0-9-]{1,128}$/
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/

/** A message as SNS posts it, read and checked but not yet verified. */
interface SnsMessage {
  readonly type: MessageType
  readonly fields: Readonly<Record<string, string>>
  readonly timestamp: number
}

// Published vectors: aws/aws-php-sns-message-validator, tests/FunctionalValidationsTest.php
// (four messages SNS signed in 2022, versions 1 and 2, with the certificate they name).

/**
 * AWS SNS HTTP/S subscriptions. The JSON body carries everything: `Signature` is the base64
 * SHA1withRSA (`SignatureVersion` 1) or SHA256withRSA (2) signature of `<name>\n<value>\n` for
 * each signed field, names in byte order (Notification: Message, MessageId, Subject if present,
 * Timestamp, TopicArn, Type; (Un)SubscriptionConfirmation: Message, MessageId, SubscribeURL,
 * Timestamp, Token, TopicArn, Type), under the certificate at `SigningCertURL`.
 *
 * `options.topicArns` (required; an ARN or a list) is checked first: any AWS account can sign
 * messages to an endpoint it subscribes, so the topic is what says who sent it. The certificate
 * URL must be `https://sns.<region>.amazonaws.com[.cn]/<name>.pem` before it is fetched through
 * `fetchKey`; certificates are cached by URL and must be valid at the verifier's clock. No
 * secret: pass only the options. `Timestamp` (ISO 8601, the publish time, kept on retries) must be
 * within the tolerance, default 3600 s: the most SNS lets an HTTP/S retry policy last. The replay
 * id is the signed `MessageId`, which retries keep. The `x-amz-sns-*` headers, when sent, must
 * match the body. Raw message delivery must be off: it posts the message without the signed
 * envelope, so nothing could be verified.
 *
 * `SubscriptionConfirmation` is answered by `answerChallenge`: verified, then confirmed by
 * GETting its `SubscribeURL` (an SNS endpoint only) through `fetchKey`; `UnsubscribeConfirmation`
 * is verified and answered 200. `sign` cannot put a signature in the body: use
 * {@link signSnsMessage}.
 */
export const awsSns: WebhookScheme = {
  name: 'aws-sns',
  tolerance: 3600,
  sign() {
    throw new ZhError(
      'ZH_WEBHOOK_OPTIONS_INVALID',
      'aws-sns signs inside the body, not in headers: build the body with signSnsMessage()',
    )
  },
  async verify(input) {
    const message = await verifiedMessage(input)
    return { id: message.fields.MessageId!, timestamp: message.timestamp }
  },
  async challenge(input) {
    const type = jsonObject(input.body)?.Type
    if (type !== 'SubscriptionConfirmation' && type !== 'UnsubscribeConfirmation') return null
    const message = await verifiedMessage(input)
    if (message.type === 'SubscriptionConfirmation') {
      const url = snsUrl(message.fields.SubscribeURL, 'SubscribeURL')
      await fetchKeyText(input.fetchKey, { url, method: 'GET' })
    }
    return { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '' }
  },
}

async function verifiedMessage(input: SchemeVerifyInput): Promise<SnsMessage> {
  const topics = topicArns(input.options)
  if (input.secrets.length + input.publicKeys.length > 0) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'aws-sns takes no secret or key: AWS signs')
  }
  const raw = jsonObject(input.body)
  if (!raw) throw new ZhError('ZH_WEBHOOK_BODY_INVALID', 'an SNS message is a JSON object')
  const { type, fields, timestamp } = readMessage(raw)
  for (const [header, field] of HEADERS) {
    const value = input.headers.optional(header, { noComma: true })
    if (value !== undefined && value !== fields[field]) {
      throw new ZhError('ZH_WEBHOOK_HEADER_MALFORMED', `${header} differs from the body's ${field}`)
    }
  }
  if (!topics.includes(fields.TopicArn!)) {
    throw new ZhError('ZH_WEBHOOK_KEY_UNTRUSTED', 'the TopicArn is not in options.topicArns')
  }
  checkFreshness(timestamp, input.clock)
  const version = raw.SignatureVersion
  if (version !== '1' && version !== '2') {
    throw new ZhError(
      'ZH_WEBHOOK_SIGNATURE_VERSION_UNSUPPORTED',
      `SignatureVersion ${String(version).slice(0, 8)}`,
    )
  }
  const key = await snsCertificateKey(input, snsUrl(raw.SigningCertURL, 'SigningCertURL'))
  const signature = typeof raw.Signature === 'string' ? fromBase64(raw.Signature) : undefined
  const content = Buffer.from(stringToSign(type, fields))
  mustMatch(signature !== undefined && rsaValid(version, content, key, signature), 'aws-sns')
  return { type, fields, timestamp }
}

// The signed fields as strings: all required but Subject (Notifications only).
function readMessage(raw: Record<string, unknown>): SnsMessage {
  const type = raw.Type
  if (
    type !== 'Notification' &&
    type !== 'SubscriptionConfirmation' &&
    type !== 'UnsubscribeConfirmation'
  ) {
    throw new ZhError(
      'ZH_WEBHOOK_BODY_INVALID',
      `not an SNS message Type: ${String(type).slice(0, 32)}`,
    )
  }
  const fields: Record<string, string> = {}
  for (const name of SIGNED[type]) {
    const value = raw[name]
    if (name === 'Subject' && (value === undefined || value === null)) continue
    if (typeof value !== 'string')
      throw new ZhError('ZH_WEBHOOK_BODY_INVALID', `SNS ${name} is missing`)
    fields[name] = value
  }
  if (!MESSAGE_ID.test(fields.MessageId!))
    throw new ZhError('ZH_WEBHOOK_BODY_INVALID', 'SNS MessageId')
  return { type, fields, timestamp: isoSeconds(fields.Timestamp!) }
}

function stringToSign(type: MessageType, fields: Readonly<Record<string, string>>): string {
  return SIGNED[type]
    .filter((name) => fields[name] !== undefined)
    .map((name) => `${name}\n${fields[name]}\n`)
    .join('')
}

function rsaValid(version: '1' | '2', content: Buffer, key: KeyObject, signature: Buffer): boolean {
  try {
    return cryptoVerify(version === '1' ? 'sha1' : 'sha256', content, key, signature)
  } catch {
    return false
  }
}

// `2022-07-28T21:23:58.317Z` as whole Unix seconds; anything else is invalid.
function isoSeconds(text: string): number {
  const ms = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN
  // Date.parse rolls 2022-02-30 over to March: the round trip catches it.
  const exact = Number.isFinite(ms) && new Date(ms).toISOString().slice(0, 19) === text.slice(0, 19)
  if (!exact)
    throw new ZhError('ZH_WEBHOOK_TIMESTAMP_INVALID', `SNS Timestamp ${text.slice(0, 32)}`)
  return Math.floor(ms / 1000)
}

function topicArns(options: SchemeOptions): readonly string[] {
  const value = options.topicArns
  const arns = typeof value === 'string' ? [value] : value
  if (
    !Array.isArray(arns) ||
    arns.length === 0 ||
    !arns.every((arn) => typeof arn === 'string' && TOPIC_ARN.test(arn))
  ) {
    throw new ZhError(
      'ZH_WEBHOOK_OPTIONS_INVALID',
      'aws-sns needs options.topicArns: the topic ARNs to accept',
    )
  }
  return arns as readonly string[]
}

/** The fields of an SNS message to sign with {@link signSnsMessage}. */
export interface SnsMessageFields {
  readonly Type: MessageType
  readonly MessageId: string
  readonly TopicArn: string
  readonly Message: string
  readonly Timestamp: string
  readonly SigningCertURL: string
  readonly Subject?: string
  readonly SubscribeURL?: string
  readonly Token?: string
  readonly UnsubscribeURL?: string
}

/**
 * The JSON body of an SNS message signed with `key` (RSA) as SNS signs it: for tests, and to
 * emulate SNS towards a receiver that trusts the certificate served at `SigningCertURL`.
 *
 * @example
 * ```ts
 * const body = signSnsMessage({ Type: 'Notification', MessageId: randomUUID(), TopicArn, Message: 'hi',
 *   Timestamp: new Date().toISOString(), SigningCertURL: certUrl }, privateKeyPem)
 * ```
 */
export function signSnsMessage(
  fields: SnsMessageFields,
  key: PrivateKeyInput,
  version: '1' | '2' = '2',
): string {
  const signing = privateKeyOf(key, 'rsa', 'aws-sns')
  const signed = Object.fromEntries(
    Object.entries(fields).filter(([, v]) => v !== undefined),
  ) as Record<string, string>
  const content = Buffer.from(stringToSign(fields.Type, signed))
  const signature = cryptoSign(version === '1' ? 'sha1' : 'sha256', content, signing).toString(
    'base64',
  )
  return JSON.stringify({ ...signed, SignatureVersion: version, Signature: signature })
}
