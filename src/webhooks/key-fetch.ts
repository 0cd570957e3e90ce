import { ZhError } from '../errors.js'
import type { KeyFetcher, KeyRequest } from './types.js'

/** Longest wait for a key response, ms. */
export const KEY_FETCH_TIMEOUT_MS = 5000

/** Largest key response read, bytes: certificates and JWKS are a few KiB. */
export const KEY_FETCH_MAX_BYTES = 256 * 1024

/**
 * The default {@link KeyFetcher}: https only, no redirects (a redirect could lead anywhere the
 * scheme did not check), 5 s and 256 KiB at most. Failures are ZH_WEBHOOK_KEY_UNAVAILABLE.
 */
export const fetchKeyOverHttps: KeyFetcher = async (request: KeyRequest) => {
  const url = parseHttps(request.url)
  let response: Response
  try {
    response = await fetch(url, {
      method: request.method ?? 'GET',
      headers: request.headers,
      body: request.body,
      redirect: 'error',
      signal: AbortSignal.timeout(KEY_FETCH_TIMEOUT_MS),
    })
  } catch (cause) {
    throw new ZhError('ZH_WEBHOOK_KEY_UNAVAILABLE', `${url.host}: ${(cause as Error).message}`, {
      cause,
    })
  }
  if (!response.ok) {
    await response.body?.cancel()
    throw new ZhError('ZH_WEBHOOK_KEY_UNAVAILABLE', `${url.host} answered ${response.status}`)
  }
  return readCapped(response, url.host)
}

function parseHttps(raw: string): URL {
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ZhError('ZH_WEBHOOK_KEY_UNAVAILABLE', 'the key URL is not a URL')
  }
  if (url.protocol !== 'https:')
    throw new ZhError('ZH_WEBHOOK_KEY_UNAVAILABLE', `${url.host}: keys are fetched over https only`)
  return url
}

async function readCapped(response: Response, host: string): Promise<string> {
  const stream = response.body as AsyncIterable<Uint8Array> | null
  if (!stream) return ''
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of stream) {
    size += chunk.byteLength
    if (size > KEY_FETCH_MAX_BYTES)
      throw new ZhError('ZH_WEBHOOK_KEY_UNAVAILABLE', `${host}: over ${KEY_FETCH_MAX_BYTES} bytes`)
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}
