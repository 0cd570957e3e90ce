import { randomBytes, randomUUID } from 'node:crypto'
import { ZhError } from '../errors.js'
import { github } from '../webhooks/schemes/github.js'
import { standard } from '../webhooks/schemes/standard.js'
import { signWith } from '../webhooks/sign-with.js'
import type { Secret } from '../webhooks/types.js'

/** The schemes {@link deliverWebhook} speaks: ours, and GitHub's (what github.com sends). */
export type DeliveryScheme = 'standard' | 'github'

/** What a message is made of, before any attempt. */
export interface MessageInput {
  readonly scheme: DeliveryScheme
  readonly type: string
  /** JSON data; for `standard` it becomes `data`, for `github` the whole body. */
  readonly data?: unknown
  /** Raw JSON bytes instead of `data`: sent as they are with `github`, parsed into `data` with `standard`. */
  readonly payload?: Uint8Array | string
  readonly id?: string
  readonly headers?: Readonly<Record<string, string>>
  readonly maxBodyBytes: number
  /** Unix ms, for the `timestamp` of a Standard Webhooks body. */
  readonly now: number
}

/** A message ready to send: the same id and bytes on every attempt. */
export interface Message {
  readonly id: string
  readonly body: Buffer
  /** Headers that do not change between attempts (content type, event, the caller's extras). */
  readonly headers: Readonly<Record<string, string>>
  readonly scheme: DeliveryScheme
}

// Headers the signing owns: a caller's value would be wrong or would hide a forged signature.
const RESERVED = new Set([
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'x-hub-signature',
  'x-hub-signature-256',
  'x-github-delivery',
  'x-github-event',
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
])
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}$/
const MAX_HEADER_VALUE = 4096
const MAX_EXTRA_HEADERS = 64

/**
 * Builds the bytes and fixed headers of a message. Standard Webhooks: the JSON
 * `{ type, timestamp, data }` the durable sender also sends. GitHub: the raw event JSON with
 * `X-GitHub-Event`, a GUID in `X-GitHub-Delivery`, as github.com sends it.
 */
export function buildMessage(input: MessageInput): Message {
  if (input.scheme !== 'standard' && input.scheme !== 'github') {
    throw new ZhError('ZH_SEND_OPTIONS_INVALID', 'scheme is standard or github')
  }
  if (typeof input.type !== 'string' || !/^[A-Za-z0-9._:/-]{1,128}$/.test(input.type)) {
    throw new ZhError('ZH_SEND_OPTIONS_INVALID', 'type is 1-128 of A-Z a-z 0-9 . _ : / -')
  }
  if (input.payload !== undefined && input.data !== undefined) {
    throw new ZhError('ZH_SEND_OPTIONS_INVALID', 'pass data or payload, not both')
  }
  const body =
    input.scheme === 'github'
      ? githubBody(input)
      : json({
          type: input.type,
          timestamp: new Date(input.now).toISOString(),
          data: dataOf(input),
        })
  if (body.length > input.maxBodyBytes) {
    throw new ZhError('ZH_SEND_PAYLOAD_TOO_LARGE', `${body.length} > ${input.maxBodyBytes} bytes`)
  }
  const id =
    input.id ??
    (input.scheme === 'github' ? randomUUID() : `msg_${randomBytes(18).toString('base64url')}`)
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': input.scheme === 'github' ? 'GitHub-Hookshot/zerohook' : 'zerohook-send',
    ...checkHeaders(input.headers ?? {}),
  }
  if (input.scheme === 'github') headers['x-github-event'] = input.type
  return { id, body, headers, scheme: input.scheme }
}

/** The headers of one attempt: the fixed ones plus a fresh signature (new timestamp, same id). */
export function signAttempt(
  message: Message,
  secret: Secret | readonly Secret[],
  nowMs: number,
): Record<string, string> {
  const signed = signWith(message.scheme === 'github' ? github : standard, {
    secret,
    id: message.id,
    timestamp: Math.floor(nowMs / 1000),
    body: message.body,
  })
  return { ...message.headers, ...signed }
}

/**
 * Checks extra headers: token names, no line breaks, bounded, and none the signature owns.
 *
 * @example
 * ```ts
 * checkHeaders({ 'X-Jenkins-Job': 'deploy' }) // { 'x-jenkins-job': 'deploy' }
 * ```
 */
export function checkHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const entries = Object.entries(headers)
  if (entries.length > MAX_EXTRA_HEADERS) {
    throw new ZhError('ZH_SEND_HEADER_INVALID', `at most ${MAX_EXTRA_HEADERS} headers`)
  }
  const out: Record<string, string> = {}
  for (const [name, value] of entries) {
    if (!TOKEN.test(name)) throw new ZhError('ZH_SEND_HEADER_INVALID', 'a header name')
    const lower = name.toLowerCase()
    if (RESERVED.has(lower)) throw new ZhError('ZH_SEND_HEADER_INVALID', `${lower} is reserved`)
    // Visible ASCII and tabs only: no CR/LF to split the request, no control bytes.
    if (
      typeof value !== 'string' ||
      value.length > MAX_HEADER_VALUE ||
      !/^[\t\x20-\x7e]*$/.test(value)
    ) {
      throw new ZhError('ZH_SEND_HEADER_INVALID', `the value of ${lower}`)
    }
    out[lower] = value.trim()
  }
  return out
}

function githubBody(input: MessageInput): Buffer {
  if (input.payload === undefined) return json(input.data ?? {})
  const bytes = Buffer.from(input.payload)
  parseJson(bytes) // sent as given, but it must be JSON: receivers parse it
  return bytes
}

function dataOf(input: MessageInput): unknown {
  return input.payload === undefined ? (input.data ?? {}) : parseJson(Buffer.from(input.payload))
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown
  } catch {
    throw new ZhError('ZH_SEND_PAYLOAD_INVALID')
  }
}

function json(value: unknown): Buffer {
  const text = JSON.stringify(value)
  if (text === undefined) throw new ZhError('ZH_SEND_PAYLOAD_INVALID', 'data is not JSON')
  return Buffer.from(text, 'utf8')
}
