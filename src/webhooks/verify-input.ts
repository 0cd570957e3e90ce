import { ZhError } from '../errors.js'
import { DEFAULT_MAX_HEADER_BYTES, readHeaders } from './headers.js'
import { fetchKeyOverHttps } from './key-fetch.js'
import { asList } from './keys.js'
import { unixSeconds } from './timestamp.js'
import type {
  SchemeOptionValue,
  SchemeOptions,
  SchemeVerifyInput,
  VerifyOptions,
  WebhookScheme,
} from './types.js'

/** Default largest body, in bytes (1 MiB). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024

const METHOD = /^[A-Z]{1,16}$/

/**
 * Checks the caller's verify options (body raw and within its cap, tolerance, secrets or keys,
 * method, options) and builds what a scheme reads. Shared by verification and challenges.
 */
export function schemeVerifyInput(
  scheme: WebhookScheme,
  options: Omit<VerifyOptions, 'scheme' | 'replay'>,
  { keysRequired = true } = {},
): SchemeVerifyInput {
  const { body } = options
  if (!(body instanceof Uint8Array)) throw new ZhError('ZH_WEBHOOK_BODY_NOT_RAW')
  const maxBody = limit(options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES, 'maxBodyBytes')
  if (body.byteLength > maxBody)
    throw new ZhError('ZH_WEBHOOK_BODY_TOO_LARGE', `over ${maxBody} bytes`)
  const tolerance = options.tolerance ?? scheme.tolerance ?? 0
  if (!Number.isFinite(tolerance) || tolerance < 0) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'tolerance must be seconds, 0 or more')
  }
  const secrets = [...asList(options.secret), ...asList(options.secrets)]
  const publicKeys = asList(options.publicKey)
  // Schemes signed with a provider's published keys (AWS SNS, Pub/Sub) need no secret: their
  // options say whom to trust (topics, audience), and the scheme refuses what they leave out.
  const schemeOpts = schemeOptions(options.options)
  const keyless = secrets.length + publicKeys.length === 0 && Object.keys(schemeOpts).length === 0
  if (keysRequired && keyless) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'pass secret, secrets, publicKey or options')
  }
  const maxHeader = limit(options.maxHeaderBytes, DEFAULT_MAX_HEADER_BYTES, 'maxHeaderBytes')
  return {
    headers: readHeaders(options.headers, maxHeader),
    body,
    secrets,
    publicKeys,
    url: options.url,
    method: httpMethod(options.method),
    options: schemeOpts,
    fetchKey: options.fetchKey ?? fetchKeyOverHttps,
    clock: { now: unixSeconds(options.now), tolerance },
    legacySha1: options.legacySha1 ?? false,
  }
}

/** The method in upper case, POST when absent; anything but a token is refused. */
export function httpMethod(method: string | undefined): string {
  if (method === undefined) return 'POST'
  const upper = typeof method === 'string' ? method.toUpperCase() : ''
  if (!METHOD.test(upper))
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'method is not an HTTP method')
  return upper
}

/** Scheme options are a plain object of strings, numbers, booleans and string lists. */
export function schemeOptions(options: SchemeOptions | undefined): SchemeOptions {
  if (options === undefined) return {}
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', 'options must be an object')
  }
  for (const [name, value] of Object.entries(options)) {
    if (!isOptionValue(value))
      throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', `options.${name} has an unsupported type`)
  }
  return options
}

function isOptionValue(value: unknown): value is SchemeOptionValue {
  if (Array.isArray(value)) return value.every((item) => typeof item === 'string')
  return ['string', 'number', 'boolean'].includes(typeof value)
}

function limit(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ZhError('ZH_WEBHOOK_OPTIONS_INVALID', `${name} must be a whole number of bytes`)
  }
  return value
}
