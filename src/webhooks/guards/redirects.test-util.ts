import { once } from 'node:events'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** The redirect statuses a client could follow (303 turns a POST into a GET, 307/308 keep it). */
export const REDIRECTS = [301, 302, 303, 307, 308] as const

/**
 * The address of the "private" target. Loopback, so the test needs no network, but not
 * 127.0.0.1: tests allow `127.0.0.1/32` in the SSRF guard, and the target must stay outside it,
 * as a real private address is outside a real allow-list.
 */
export const PRIVATE_HOST = '127.0.0.2'

/** A server on a private address that must never be reached: it records every request. */
export interface PrivateTarget {
  /** Its base URL, `http://127.0.0.2:<port>`. */
  url: string
  /** `METHOD /path` of every request that reached it. */
  hits: string[]
  close(): Promise<void>
}

/** Starts the private target (on an OS-picked port of {@link PRIVATE_HOST}). */
export async function startPrivateTarget(): Promise<PrivateTarget> {
  const hits: string[] = []
  const server = http.createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`)
    req.resume()
    res.writeHead(200, { 'content-type': 'text/plain' }).end('private data')
  })
  server.listen(0, PRIVATE_HOST)
  await once(server, 'listening')
  const { port } = server.address() as AddressInfo
  return {
    url: `http://${PRIVATE_HOST}:${port}`,
    hits,
    close: () => closeServer(server),
  }
}

/**
 * A receiver's request listener that answers `/<status>` (any path ending in a redirect status)
 * with that status and `Location: <target>/stolen`, and anything else with 204. It reads the
 * body first, as a real receiver would, and records `METHOD /path` of every request.
 */
export function redirectingReceiver(target: string): {
  listener: http.RequestListener
  hits: string[]
} {
  const hits: string[] = []
  const listener: http.RequestListener = (req, res) => {
    hits.push(`${req.method} ${req.url}`)
    req.resume()
    req.once('end', () => {
      const status = Number(/\/(\d{3})$/.exec(req.url ?? '')?.[1])
      if ((REDIRECTS as readonly number[]).includes(status)) {
        res.writeHead(status, { location: `${target}/stolen` }).end()
      } else res.writeHead(204).end()
    })
  }
  return { listener, hits }
}

/** Starts a plain HTTP server on 127.0.0.1 with `listener`; resolves its port. */
export async function listenLocal(
  listener: http.RequestListener,
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer(listener)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return { port: (server.address() as AddressInfo).port, close: () => closeServer(server) }
}

function closeServer(server: http.Server): Promise<void> {
  server.closeAllConnections()
  return new Promise((resolve) => server.close(() => resolve()))
}
