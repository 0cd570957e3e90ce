import { X509Certificate, type KeyObject } from 'node:crypto'
import { ZhError } from '../../errors.js'
import type { SchemeVerifyInput } from '../types.js'
import { publicKeyOf } from './asymmetric-keys.js'
import { createKeyCache, fetchKeyText } from './key-cache.js'

// SNS's regional endpoints: sns.<region>.amazonaws.com, and .amazonaws.com.cn in China. This is
// the host pattern of AWS's own validators (aws-php-sns-message-validator, aws-js-...); S3
// buckets and other amazonaws.com hosts anyone can publish under do not match it.
const SNS_HOST = /^sns\.[a-z0-9-]{3,}\.amazonaws\.com(\.cn)?$/

// Certificates sit at the root: /SimpleNotificationService-<hex>.pem.
const CERT_PATH = /^\/[A-Za-z0-9._-]{1,200}\.pem$/

/** Most seconds a certificate is reused before it is fetched again (it is also checked valid). */
export const SNS_CERT_TTL = 24 * 3600

const cache = createKeyCache<X509Certificate>(32)

/**
 * `text` as an https URL on an SNS endpoint (no credentials, no port, no fragment), else
 * ZH_WEBHOOK_KEY_UNTRUSTED: checked before anything is fetched from it. A certificate URL must
 * also name a `.pem` file at the root, without a query.
 */
export function snsUrl(text: unknown, field: 'SigningCertURL' | 'SubscribeURL'): string {
  let url: URL | undefined
  try {
    url = typeof text === 'string' ? new URL(text) : undefined
  } catch {
    url = undefined
  }
  const ok =
    url !== undefined &&
    url.protocol === 'https:' &&
    url.username === '' &&
    url.password === '' &&
    url.port === '' &&
    url.hash === '' &&
    SNS_HOST.test(url.hostname) &&
    (field === 'SubscribeURL' || (CERT_PATH.test(url.pathname) && url.search === ''))
  if (!ok) throw new ZhError('ZH_WEBHOOK_KEY_UNTRUSTED', `${field} is not an SNS endpoint URL`)
  return text as string
}

/**
 * The public key of the certificate at `url` (checked with {@link snsUrl} first), fetched through
 * `fetchKey` and cached by URL (at most 32, each at most {@link SNS_CERT_TTL}); refused unless it
 * is valid at the verifier's clock and holds an RSA key of 2048 bits or more.
 */
export async function snsCertificateKey(input: SchemeVerifyInput, url: string): Promise<KeyObject> {
  const { now } = input.clock
  const cert = await cache.get(input.fetchKey, url, now, async () => {
    const pem = await fetchKeyText(input.fetchKey, { url, method: 'GET' })
    let parsed: X509Certificate
    try {
      parsed = new X509Certificate(pem)
    } catch (cause) {
      throw new ZhError('ZH_WEBHOOK_KEY_UNAVAILABLE', `${url} is not a certificate`, { cause })
    }
    return { value: parsed, expiresAt: Math.min(seconds(parsed.validTo), now + SNS_CERT_TTL) }
  })
  if (!(seconds(cert.validFrom) <= now && now <= seconds(cert.validTo))) {
    throw new ZhError(
      'ZH_WEBHOOK_KEY_UNTRUSTED',
      `the SNS certificate is not valid now (${cert.validTo})`,
    )
  }
  return publicKeyOf(cert.publicKey, 'rsa', 'aws-sns').key
}

// X509Certificate's dates are OpenSSL's text ("Sep  7 00:00:00 2021 GMT"); an unreadable one is
// never valid.
function seconds(date: string): number {
  const ms = Date.parse(date)
  return Number.isFinite(ms) ? Math.floor(ms / 1000) : Number.NaN
}
