import { once } from 'node:events'
import { createServer, request as httpRequest, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Fastify from 'fastify'
import { webhookMiddleware } from './express.js'
import { fastifyWebhooks } from './fastify.js'
import { webhookHandler } from './node.js'
import type { ReceivedWebhook, ReceiverOptions } from './receiver.js'

/** A receiver under test: its URL, what its handler saw, and how to stop it. */
export interface Running {
  readonly url: string
  readonly seen: ReceivedWebhook[]
  close(): Promise<void>
}

/** What the test handler does: record, then optionally wait or fail. */
export interface Behaviour {
  delayMs?: number
  fail?: boolean
}

/** Starts one framework's receiver on 127.0.0.1, port 0, at `/hook`. */
export type Start = (options: ReceiverOptions, behaviour: Behaviour) => Promise<Running>

const act = async (seen: ReceivedWebhook[], webhook: ReceivedWebhook, b: Behaviour) => {
  seen.push(webhook)
  if (b.delayMs) await new Promise((r) => setTimeout(r, b.delayMs))
  if (b.fail) throw new Error('handler failed on purpose')
}

async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
}

const stop = (server: Server) => () =>
  new Promise<void>((resolve) => {
    server.closeAllConnections()
    server.close(() => resolve())
  })

/** The three adapters, each behind the same `Start`. */
export const frameworks: Record<string, Start> = {
  'node:http': async (options, b) => {
    const seen: ReceivedWebhook[] = []
    const server = createServer(webhookHandler({ ...options, handler: (w) => act(seen, w, b) }))
    return { url: await listen(server), seen, close: stop(server) }
  },
  express: async (options, b) => {
    const seen: ReceivedWebhook[] = []
    const app = express()
    // all: Dropbox and Okta check the URL with a GET.
    app.all('/hook', webhookMiddleware({ ...options, handler: (w) => act(seen, w, b) }))
    const server = createServer(app)
    return { url: await listen(server), seen, close: stop(server) }
  },
  fastify: async (options, b) => {
    const seen: ReceivedWebhook[] = []
    const app = Fastify()
    await app.register(fastifyWebhooks, {
      ...options,
      path: '/hook',
      handler: (w) => act(seen, w, b),
    })
    await app.listen({ host: '127.0.0.1', port: 0 })
    const { port } = app.server.address() as AddressInfo
    return { url: `http://127.0.0.1:${port}/hook`, seen, close: () => app.close() }
  },
}

/** What came back: status, the code header and the parsed body. */
export interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
  /** How many of the chunks were written when the answer arrived. */
  written: number
}

/**
 * POSTs with node:http, so the test controls framing: `chunks` are written one by one without
 * a Content-Length (chunked) unless `contentLength` is given. The answer is read even when the
 * server stops reading and closes early.
 */
export function post(
  url: string,
  headers: Record<string, string>,
  body: Buffer | Buffer[],
  contentLength?: number,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const chunks = Array.isArray(body) ? body : [body]
    const length = contentLength ?? (Array.isArray(body) ? undefined : body.length)
    const req = httpRequest(url, {
      method: 'POST',
      headers: { ...headers, ...(length !== undefined ? { 'content-length': length } : {}) },
    })
    req.on('response', (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          text: Buffer.concat(parts).toString(),
          written,
        }),
      )
      res.on('error', reject)
    })
    // Writing may fail once the server has answered and closed: that is the point of the cap.
    req.on('error', (err) => setTimeout(() => reject(err), 500))
    let written = 0
    const write = (i: number): void => {
      written = i
      if (i === chunks.length) return void req.end()
      if (req.destroyed) return
      req.write(chunks[i], () => setImmediate(() => write(i + 1)))
    }
    write(0)
  })
}
