import { readFile } from 'node:fs/promises'
import https from 'node:https'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { fingerprint, inspectCertificate } from '../pki/inspect.js'
import { checkServerPrincipal } from '../pki/verify.js'
import { requestJson } from '../sdk/controller-client.js'
import { enrollWithToken } from '../sdk/enroll.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import { startTestController, type TestController } from './controller.test-util.js'
import type { NetworkStatus } from './ops/status.js'
import { createRouter } from './ops/routers.js'

/** GET over mTLS as `who`, resolving the status, the body and the server's certificate. */
function get(
  c: TestController,
  who: IdentityFile,
  path: string,
  untilFirstLine = false,
): Promise<{ status: number; body: string; served: string }> {
  return new Promise((resolve, reject) => {
    const req = https.get(new URL(path, c.url), {
      cert: who.certificate,
      key: who.key,
      ca: who.ca,
      agent: false,
      checkServerIdentity: checkServerPrincipal({ network: who.network, kind: 'controller' }),
    })
    req.on('response', (res) => {
      const served = fingerprint(
        (res.socket as import('node:tls').TLSSocket).getPeerCertificate().raw,
      )
      let body = ''
      res.on('data', (d: Buffer) => {
        body += d.toString()
        if (untilFirstLine && body.includes('\n')) {
          req.destroy()
          resolve({ status: res.statusCode ?? 0, body, served })
        }
      })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, served }))
    })
    req.on('error', (err) => (untilFirstLine ? undefined : reject(err)))
  })
}

describe('the controller through its own certificate lifetimes', { timeout: 60_000 }, () => {
  const lines: Record<string, unknown>[] = []
  let c: TestController

  beforeAll(async () => {
    const log = pino(
      { level: 'info' },
      { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) },
    )
    c = await startTestController({
      network: 'self',
      lifetimes: { controllerCertTtl: 12, certTtl: 12, grantTtl: 6 },
      log,
    })
  })
  afterAll(async () => {
    await c?.stop()
  })

  it('renews its TLS certificate two thirds into its life, without a restart', async () => {
    const before = await get(c, c.admin, '/v1/status')
    const first = inspectCertificate(await readFile(join(c.dir, 'controller.pem'), 'utf8'))
    expect(before.served).toBe(first.fingerprint)
    const deadline = Date.now() + 20_000
    while (!lines.some((l) => l.msg === 'controller certificate renewed')) {
      if (Date.now() > deadline) throw new Error('no renewal within 20 s')
      await sleep(200)
    }
    const renewedAt = Date.now()
    // Due at two thirds of the validity (which starts a quarter of the lifetime early).
    expect(renewedAt).toBeGreaterThanOrEqual(first.notBefore.getTime() + 9_000)
    const after = await get(c, c.admin, '/v1/status')
    const second = inspectCertificate(await readFile(join(c.dir, 'controller.pem'), 'utf8'))
    expect(after.served).toBe(second.fingerprint)
    expect(second.fingerprint).not.toBe(first.fingerprint)
    expect(second.notAfter.getTime()).toBeGreaterThan(first.notAfter.getTime())
    // Clients trust the controller by CA and principal: the new certificate needs nothing else.
    const status = JSON.parse(after.body) as NetworkStatus
    const controller = status.certificates.find((x) => x.kind === 'controller')!
    expect(controller.renewals).toBeGreaterThanOrEqual(1)
    expect(Date.parse(controller.notAfter!)).toBe(second.notAfter.getTime())
    // Admins live as long as the controller's certificate.
    const admin = status.certificates.find((x) => x.kind === 'admin')!
    expect(admin.expiresIn).toBeLessThanOrEqual(12)
    // A client that knows only the CA (no certificate of its own) verifies the new one too.
    const peer = await requestJson(
      c.url,
      { mode: 'verified', network: 'self', ca: c.admin.ca },
      { method: 'GET', path: '/v1/ca' },
    )
    expect(peer.status).toBe(200)
  })

  it('serves the expiry of every certificate as zh_certificate_expiry_seconds', async () => {
    const { status, body } = await get(c, c.admin, '/metrics')
    expect(status).toBe(200)
    const gauge = (kind: string) =>
      Number(
        new RegExp(
          `^zh_certificate_expiry_seconds\\{kind="${kind}",name="[^"]+"\\} (-?\\d+)`,
          'm',
        ).exec(body)?.[1],
      )
    expect(gauge('ca')).toBeGreaterThan(3600 * 86_400)
    expect(gauge('controller')).toBeGreaterThan(0)
    expect(gauge('controller')).toBeLessThanOrEqual(12)
    expect(gauge('admin')).toBeLessThanOrEqual(12)
  })

  it('streams router events without logging FST_ERR_REP_ALREADY_SENT', async () => {
    const { enrollment } = await createRouter(c.ctx, { name: 'r1' })
    const router = await enrollWithToken(enrollment.token)
    const r = await get(c, router, '/v1/router/events', true)
    expect(r.status).toBe(200)
    expect(JSON.parse(r.body.split('\n')[0]!)).toMatchObject({ type: 'hello' })
    await sleep(100)
    expect(lines.filter((l) => JSON.stringify(l).includes('FST_ERR_REP_ALREADY_SENT'))).toEqual([])
    expect(lines.some((l) => l.msg === 'router control channel open')).toBe(true)
  })
})
