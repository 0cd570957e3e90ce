/**
 * A Jenkins stand-in: what Jenkins's GitHub plugin does with a webhook, on a plain node:http
 * server bound to 127.0.0.1 only (nothing off this host can reach it). POST /github-webhook/
 * is accepted only with a valid `X-Hub-Signature-256` (HMAC-SHA256 of the raw body with the
 * hook secret, compared in constant time). It prints one JSON line per request.
 *
 * Usage: JENKINS_WEBHOOK_SECRET=... node --import tsx jenkins.ts [PORT]
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import { createServer, type IncomingMessage } from 'node:http'

const MAX_BODY = 1024 * 1024
const secret = process.env.JENKINS_WEBHOOK_SECRET
if (!secret) throw new Error('set JENKINS_WEBHOOK_SECRET')
const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`)

/** True when `header` is `sha256=<hex>` of the body's HMAC; constant time over the digest. */
function signatureValid(header: string | undefined, body: Buffer): boolean {
  const match = /^sha256=([0-9a-f]{64})$/.exec(header ?? '')
  if (!match) return false
  const expected = createHmac('sha256', secret!).update(body).digest()
  return timingSafeEqual(Buffer.from(match[1]!, 'hex'), expected)
}

/** The raw body, or null once it passes the cap (then the request is refused unread). */
async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_BODY) return null
    chunks.push(chunk)
  }
  return Buffer.concat(chunks)
}

const server = createServer((req, res) => {
  void (async () => {
    if (req.method !== 'POST' || req.url !== '/github-webhook/') {
      res.writeHead(404).end('not found\n')
      return
    }
    const body = await readBody(req)
    if (body === null) {
      print({ event: 'rejected', reason: 'too large' })
      res.writeHead(413, { connection: 'close' }).end('too large\n')
      return
    }
    const signature = req.headers['x-hub-signature-256']
    if (!signatureValid(typeof signature === 'string' ? signature : undefined, body)) {
      print({ event: 'rejected', reason: 'bad signature' })
      res.writeHead(403).end('invalid signature\n')
      return
    }
    let payload: { ref?: unknown; repository?: { full_name?: unknown } }
    try {
      payload = JSON.parse(body.toString('utf8')) as typeof payload
    } catch {
      res.writeHead(400).end('not JSON\n')
      return
    }
    print({
      event: 'accepted',
      delivery: req.headers['x-github-delivery'],
      githubEvent: req.headers['x-github-event'],
      ref: payload.ref,
      repository: payload.repository?.full_name,
      bytes: body.length,
    })
    res.writeHead(200, { 'content-type': 'text/plain' }).end('Scheduled a build\n')
  })().catch(() => res.destroy())
})

server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const address = server.address()
  print({ event: 'listening', port: typeof address === 'object' ? address?.port : undefined })
})
const stop = () => server.close(() => process.exit(0))
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
