import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import Fastify, { type FastifyInstance } from 'fastify'
import { afterEach, describe, expect, it } from 'vitest'
import { describeCode } from '../../errors.js'
import { createMemoryReplayStore } from '../replay/memory.js'
import { signWebhook } from '../sign.js'
import { webhookMiddleware } from './express.js'
import { fastifyWebhooks } from './fastify.js'
import { post } from './frameworks.test-util.js'
import type { ReceivedWebhook } from './receiver.js'

const NOW = 1_700_000_000
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const options = () => ({
  scheme: 'standard' as const,
  secret: SECRET,
  replay: createMemoryReplayStore(),
  now: () => NOW,
})

let n = 0
function signed() {
  const body = Buffer.from(JSON.stringify({ type: 'test', n: ++n }))
  const headers = signWebhook({ scheme: 'standard', secret: SECRET, timestamp: NOW, body })
  return { body, headers: { 'content-type': 'application/json', ...headers } }
}

let close: (() => Promise<void>) | undefined
afterEach(async () => {
  await close?.()
  close = undefined
})

async function serveExpress(app: express.Express): Promise<string> {
  const server: Server = createServer(app)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  close = () =>
    new Promise((resolve) => {
      server.closeAllConnections()
      server.close(() => resolve())
    })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`
}

async function serveFastify(app: FastifyInstance): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  close = () => app.close()
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/hook`
}

const error = (text: string) =>
  (JSON.parse(text) as { error: { code: string; message: string } }).error

describe('a body parsed before the receiver middleware', () => {
  it('express.json() first: 500 ZH_WEBHOOK_BODY_NOT_RAW saying how to mount it, not ZH_INTERNAL', async () => {
    const seen: ReceivedWebhook[] = []
    const app = express()
    app.use(express.json())
    app.post('/hook', webhookMiddleware({ ...options(), handler: (w) => void seen.push(w) }))
    const m = signed()
    const reply = await post(await serveExpress(app), m.headers, m.body)
    expect(reply.status).toBe(500)
    expect(reply.headers['zerohook-code']).toBe('ZH_WEBHOOK_BODY_NOT_RAW')
    expect(error(reply.text)).toEqual({
      code: 'ZH_WEBHOOK_BODY_NOT_RAW',
      message: describeCode('ZH_WEBHOOK_BODY_NOT_RAW').message,
    })
    expect(error(reply.text).message).toMatch(/before any body parser.*express\.raw/)
    expect(seen).toHaveLength(0)
  })

  it('express.raw() first, as the message says: verified and handled', async () => {
    const seen: ReceivedWebhook[] = []
    const app = express()
    app.post(
      '/hook',
      express.raw({ type: '*/*' }),
      webhookMiddleware({ ...options(), handler: (w) => void seen.push(w) }),
    )
    const m = signed()
    expect((await post(await serveExpress(app), m.headers, m.body)).status).toBe(204)
    expect(seen).toHaveLength(1)
  })

  it('fastify: a hook that replaced the raw body is refused the same way, not verified', async () => {
    const seen: ReceivedWebhook[] = []
    const app = Fastify()
    // An application-wide hook that parses every body it sees reaches the plugin's route too.
    app.addHook('preValidation', async (request) => {
      if (Buffer.isBuffer(request.body)) request.body = JSON.parse(request.body.toString())
    })
    await app.register(fastifyWebhooks, {
      ...options(),
      path: '/hook',
      handler: (w) => void seen.push(w),
    })
    const m = signed()
    const reply = await post(await serveFastify(app), m.headers, m.body)
    expect([reply.status, error(reply.text).code]).toEqual([500, 'ZH_WEBHOOK_BODY_NOT_RAW'])
    expect(seen).toHaveLength(0)
  })
})
