import type { IncomingMessage, ServerResponse } from 'node:http'
import https from 'node:https'
import net, { type AddressInfo } from 'node:net'
import type { TestNetwork } from './e2e/e2e.test-util.js'

/**
 * A stand-in for one controller replica: HTTPS on a loopback port picked by the OS, with a
 * certificate of the test network naming the controller principal, answering as `handler` says.
 */
export interface FakeController {
  url: string
  /** Requests it got, as `METHOD /path`. */
  hits: string[]
  /** Stops listening and drops every open connection (streams included): a replica gone. */
  close(): Promise<void>
}

/** Starts a {@link FakeController}. */
export async function startFakeController(
  network: TestNetwork,
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>,
): Promise<FakeController> {
  const own = await network.identity('controller', { kind: 'controller' })
  const hits: string[] = []
  const server = https.createServer(
    { cert: own.certificate, key: own.key, ca: own.ca, minVersion: 'TLSv1.3' },
    (req, res) => {
      hits.push(`${req.method} ${req.url}`)
      // Answer only once the body is in, as a real server does.
      const chunks: Buffer[] = []
      req.on('data', (chunk: Buffer) => chunks.push(chunk))
      req.on('end', () => {
        Promise.resolve(handler(req, res, Buffer.concat(chunks).toString('utf8'))).catch(
          (err: Error) => {
            res.writeHead(500)
            res.end(err.message)
          },
        )
      })
    },
  )
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `https://127.0.0.1:${port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}

/** Answers 200 with a JSON body and, if given, a `zerohook-controllers` header. */
export function answerJson(res: ServerResponse, body: unknown, controllers?: string): void {
  res.writeHead(200, {
    'content-type': 'application/json',
    ...(controllers === undefined ? {} : { 'zerohook-controllers': controllers }),
  })
  res.end(JSON.stringify(body))
}

/** Answers an error status with a ZH body (or none, as a proxy would). */
export function answerError(res: ServerResponse, status: number, code?: string): void {
  res.writeHead(status, { 'content-type': 'application/json' })
  res.end(code ? JSON.stringify({ error: { code, detail: 'from the fake' } }) : '')
}

/** An https URL of a loopback port nothing listens on (connections to it are refused). */
export async function closedUrl(): Promise<string> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `https://127.0.0.1:${port}`
}
