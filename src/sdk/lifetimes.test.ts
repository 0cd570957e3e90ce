import { createServer } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { fetch } from 'undici'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestController, type TestController } from '../controller/controller.test-util.js'
import { createIdentity } from '../controller/ops/identities.js'
import { createServicePolicy } from '../controller/ops/policies.js'
import { createRouter } from '../controller/ops/routers.js'
import { createService } from '../controller/ops/services.js'
import { fingerprint } from '../pki/inspect.js'
import { startRouter, type RunningRouter } from '../router/router.js'
import { connect, type Zerohook } from './context.js'
import { enrollWithToken } from './enroll.js'
import type { IdentityFile } from './identity-file.js'

const GRANT_TTL = 2
const CERT_TTL = 12

/**
 * The SDK through many grant and certificate lifetimes, on a controller with very short ones:
 * time is part of correctness (DESIGN §9).
 */
describe('SDK context through grant and certificate lifetimes', { timeout: 90_000 }, () => {
  const log = pino({ level: process.env.ZH_TEST_LOG ?? 'silent' })
  let c: TestController
  let router: RunningRouter
  const contexts: Zerohook[] = []
  const endpoint = async (name: string, attributes: string[]) =>
    enrollWithToken((await createIdentity(c.ctx, { name, attributes })).enrollment.token)

  beforeAll(async () => {
    c = await startTestController({
      network: 'time',
      settings: { grantTtl: GRANT_TTL, certTtl: CERT_TTL },
    })
    // The router's own certificate lives the whole test run: its renewal is tested elsewhere.
    c.ctx.settings.certTtl = 3600
    const { enrollment } = await createRouter(c.ctx, { name: 'r1' })
    const routerIdentity = await enrollWithToken(enrollment.token)
    c.ctx.settings.certTtl = CERT_TTL
    router = await startRouter({ identity: routerIdentity, listen: '127.0.0.1:0', log })
    await router.controlReady
    await createService(c.ctx, { name: 'hooks', attributes: ['webhooks'] })
    await createServicePolicy(c.ctx, {
      name: 'bind',
      type: 'bind',
      identityRoles: ['#receivers'],
      serviceRoles: ['#webhooks'],
    })
    await createServicePolicy(c.ctx, {
      name: 'dial',
      type: 'dial',
      identityRoles: ['#senders'],
      serviceRoles: ['#webhooks'],
    })
  })
  afterAll(async () => {
    await Promise.all(contexts.map((zh) => zh.close()))
    await router?.close()
    await c?.stop()
  })

  const started = async (identity: IdentityFile, onRenewed?: (id: IdentityFile) => void) => {
    const zh = await connect(identity, { log, onRenewed })
    contexts.push(zh)
    return zh
  }

  it('a receiver bound once still proves a fresh bind grant lifetimes later', async () => {
    const host = await started(await endpoint('idle-host', ['receivers']))
    await host.serve(
      'hooks',
      createServer((_req, res) => res.end('ok')),
    )
    const dialer = await started(await endpoint('late-dialer', ['senders']))
    // Three grant lifetimes of idleness: the bind grant of the moment it bound is long expired.
    await sleep(3 * GRANT_TTL * 1000 + 500)
    const socket = await dialer.dial('hooks')
    const hostGrant = socket.peerIdentity.grant
    socket.destroy()
    const now = Date.now() / 1000
    expect(hostGrant.exp).toBeGreaterThan(now)
    // The freshest grant: refreshed at half-life, so issued within the last lifetime.
    expect(hostGrant.iat).toBeGreaterThanOrEqual(Math.floor(now) - GRANT_TTL)
    await host.close() // the next test's host must be the only one of the service
  })

  it('keeps delivering through several certificate renewals, with a stream open across them', async () => {
    const hostRenewals: IdentityFile[] = []
    const dialerRenewals: IdentityFile[] = []
    const hostIdentity = await endpoint('renewing-host', ['receivers'])
    const host = await started(hostIdentity, (id) => void hostRenewals.push(id))
    let streamed = 0
    await host.serve(
      'hooks',
      createServer((req, res) => {
        if (req.url === '/stream') {
          req.on('data', (chunk: Buffer) => (streamed += chunk.length))
          req.on('end', () => res.end(String(streamed)))
          return
        }
        req.resume()
        req.on('end', () => res.end('ok'))
      }),
    )
    const dialer = await started(
      await endpoint('renewing-dialer', ['senders']),
      (id) => void dialerRenewals.push(id),
    )
    const dispatcher = dialer.dispatcher()
    // One request body streams across the first renewals on the circuit it started on (a
    // connection drains until its certificate expires, not longer).
    const stream = await dialer.dial('hooks')
    stream.write('POST /stream HTTP/1.1\r\nhost: hooks\r\ntransfer-encoding: chunked\r\n\r\n')
    const answer = new Promise<string>((resolve, reject) => {
      let text = ''
      stream.on('data', (d: Buffer) => (text += d.toString()))
      stream.on('end', () => resolve(text))
      stream.on('error', reject)
    })

    const failures: string[] = []
    let delivered = 0
    const start = Date.now()
    const until = start + 3 * CERT_TTL * 1000
    let body: string | undefined
    while (Date.now() < until) {
      try {
        const res = await fetch('http://hooks/hook', { method: 'POST', body: 'x', dispatcher })
        if ((await res.text()) === 'ok') delivered++
        else failures.push(`status ${res.status}`)
      } catch (err) {
        failures.push((err as Error).message)
      }
      if (body === undefined && Date.now() - start > CERT_TTL * 750) {
        stream.end('0\r\n\r\n')
        body = await answer
      } else if (body === undefined) stream.write('1\r\nx\r\n')
      await sleep(100)
    }
    console.log(
      `lifetimes: ${delivered} requests delivered, ${failures.length} failed; ` +
        `host renewed ${hostRenewals.length}x, dialer ${dialerRenewals.length}x`,
    )
    expect(failures).toEqual([])
    expect(hostRenewals.length).toBeGreaterThanOrEqual(3)
    expect(dialerRenewals.length).toBeGreaterThanOrEqual(3)
    // Each renewal is a new key and certificate, and the last one is what the host shows now.
    const prints = new Set([hostIdentity, ...hostRenewals].map((i) => fingerprint(i.certificate)))
    expect(prints.size).toBe(hostRenewals.length + 1)
    const socket = await dialer.dial('hooks')
    expect(socket.peerIdentity.fingerprint).toBe(fingerprint(hostRenewals.at(-1)!.certificate))
    socket.destroy()
    // The stream opened before the first renewal got every byte, over its original circuit.
    expect(body).toMatch(/200 OK/)
    expect(streamed).toBeGreaterThan(50)
    expect(body!.endsWith(String(streamed))).toBe(true)
  })
})
