import https from 'node:https'

/** A raw HTTPS answer: status and parsed JSON (or text). */
export interface RawAnswer {
  status: number
  body: unknown
  text: string
}

/**
 * One HTTPS request with exactly the TLS material given: no client certificate unless `cert` and
 * `key` are passed. For tests that probe what a given client can reach.
 */
export function rawRequest(
  url: string,
  opts: {
    method?: string
    path: string
    body?: string | Buffer
    ca: string
    cert?: string
    key?: string
    headers?: Record<string, string>
  },
): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      new URL(opts.path, url),
      {
        method: opts.method ?? 'GET',
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        agent: false,
        checkServerIdentity: () => undefined,
        headers: {
          ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...opts.headers,
        },
      },
      (res) => {
        let text = ''
        res.on('data', (d: Buffer) => (text += d.toString()))
        res.on('end', () => {
          let body: unknown = text
          try {
            body = JSON.parse(text)
          } catch {
            // not JSON: keep the text
          }
          resolve({ status: res.statusCode ?? 0, body, text })
        })
      },
    )
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** The `error.code` of a JSON error answer. */
export function codeOf(answer: RawAnswer): string | undefined {
  return (answer.body as { error?: { code?: string } } | undefined)?.error?.code
}
