import { createHmac, randomUUID } from 'node:crypto'
import { readFile, stat, writeFile } from 'node:fs/promises'
import http from 'node:http'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { stringify } from 'yaml'
import { certificateFor } from '../src/webhooks/guards/tls.test-util.js'
import { signWebhook } from '../src/webhooks/sign.js'
import { startDaemon, stopAllDaemons, type Daemon } from './helpers/cli.js'
import { codeOf, rawRequest, type RawAnswer } from './helpers/https.js'
import { startFixture, startNetwork, type TestNetwork } from './helpers/network.js'

const SECRET = 'gh-webhook-secret-for-the-test'
const SLACK = 'slack-signing-secret-for-the-test'
const TWILIO = 'twilio-auth-token-for-the-test'
const PUBLIC = 'https://hooks.example.com'

interface Received {
  event: string
  path: string
  headers: Record<string, string>
  body: string
}

/** github.com → public gateway → overlay → dark receiver, with real processes throughout. */
describe(
  'zerohook gateway run (real controller, router, gateway and receiver)',
  { timeout: 240_000 },
  () => {
    let net: TestNetwork
    let receiverFile: string
    let gatewayFile: string
    let configFile: string
    let ca: string
    let receiver: Daemon | undefined
    let gateway: Daemon
    let url: string

    const startReceiver = async () => {
      const r = startFixture('gateway-receiver.ts', [receiverFile, 'jenkins-webhook'])
      await r.waitFor((l) => l.event === 'ready', 60_000)
      receiver = r
      return r
    }
    const startGateway = async () => {
      const g = startDaemon(['gateway', 'run', '--identity', gatewayFile, '--config', configFile])
      const ready = await g.waitFor((l) => l.msg === 'gateway listening', 60_000)
      gateway = g
      url = `https://127.0.0.1:${ready.port as number}`
      return g
    }
    /** The request carrying gateway id `id`, once the receiver `r` has it. */
    const deliveredTo = async (r: Daemon, id: string): Promise<Received> =>
      (await r.waitFor(
        (l) =>
          l.event === 'request' &&
          (l.headers as Record<string, string>)['x-zerohook-gateway-id'] === id,
        60_000,
      )) as unknown as Received
    /** The request whose body is `body`, once the receiver has logged it. */
    const receivedBody = async (body: string): Promise<Received> =>
      (await receiver!.waitFor(
        (l) => l.event === 'request' && Buffer.from(l.body as string, 'base64').toString() === body,
        30_000,
      )) as unknown as Received
    const received = (r: Daemon | undefined = receiver): Received[] =>
      (r?.lines ?? []).filter((l) => l.event === 'request') as unknown as Received[]

    // A GitHub delivery: X-Hub-Signature-256 is HMAC-SHA256 over the raw body, as github.com sends it.
    const deliver = (
      path: string,
      body: string,
      opts: { secret?: string; delivery?: string } = {},
    ): Promise<RawAnswer> =>
      rawRequest(url, {
        method: 'POST',
        path,
        body,
        ca,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'GitHub-Hookshot/test',
          'x-github-event': 'push',
          'x-github-delivery': opts.delivery ?? randomUUID(),
          'x-hub-signature-256': `sha256=${createHmac('sha256', opts.secret ?? SECRET)
            .update(body)
            .digest('hex')}`,
          authorization: 'Bearer must-not-cross-the-gateway',
        },
      })

    beforeAll(async () => {
      net = await startNetwork(1)
      await net.admin('service', 'create', 'jenkins-webhook', '--attr', 'webhooks')
      await net.policy('gateway-dial', 'dial', '#gateways', '@jenkins-webhook')
      await net.policy('receivers-bind', 'bind', '#receivers', '#webhooks')
      receiverFile = (await net.identity('jenkins', ['receivers'])).file
      gatewayFile = (await net.identity('gateway', ['gateways'])).file
      const tls = await certificateFor('localhost')
      ca = tls.cert
      await writeFile(join(net.dir, 'gw-cert.pem'), tls.cert)
      await writeFile(join(net.dir, 'gw-key.pem'), tls.key, { mode: 0o600 })
      await writeFile(join(net.dir, 'gh-secret.txt'), `${SECRET}\n`, { mode: 0o600 })
      configFile = join(net.dir, 'gateway.yaml')
      const target = { service: 'jenkins-webhook', path: '/github-webhook/' }
      await writeFile(
        configFile,
        stringify({
          listen: '127.0.0.1:0',
          tls: { cert: 'gw-cert.pem', key: 'gw-key.pem' },
          state: './gateway-state',
          maxBodyBytes: 65536,
          // Short retries so the test sees a queued webhook delivered soon after the receiver is back.
          forward: { timeoutMs: 5000, delaysMs: [0, 500, 1000], maxAttempts: 500 },
          routes: [
            { path: '/github', scheme: 'github', secrets: [{ file: 'gh-secret.txt' }], target },
            {
              path: '/github-office',
              scheme: 'github',
              secrets: [{ file: 'gh-secret.txt' }],
              allow: ['10.0.0.0/8'],
              target,
            },
            { path: '/slack', scheme: 'slack', secrets: [{ value: SLACK }], target },
            { path: '/dropbox', scheme: 'dropbox', secrets: [{ value: 'dbx-secret' }], target },
            { path: '/asana', scheme: 'asana', target },
            {
              path: '/twilio',
              scheme: 'twilio',
              secrets: [{ value: TWILIO }],
              url: PUBLIC,
              options: {},
              target,
            },
          ],
        }),
      )
      await startReceiver()
      await startGateway()
    })

    afterAll(async () => {
      await stopAllDaemons()
      await net?.cleanup()
    })

    it('delivers a validly signed webhook: the receiver sees the same bytes and the provider headers', async () => {
      const body = JSON.stringify({
        ref: 'refs/heads/main',
        commits: [{ id: 'abc', message: 'é ✓' }],
      })
      const delivery = randomUUID()
      const res = await deliver('/github', body, { delivery })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ ok: true, bytes: Buffer.byteLength(body) })
      const got = received().find((r) => r.headers['x-github-delivery'] === delivery)!
      expect(Buffer.from(got.body, 'base64').toString()).toBe(body)
      expect(got.path).toBe('/github-webhook/')
      expect(got.headers['x-zerohook-gateway-verified']).toBe('github')
      expect(got.headers['x-github-event']).toBe('push')
      expect(got.headers['x-hub-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/)
      expect(got.headers['content-type']).toBe('application/json')
      expect(got.headers.authorization).toBeUndefined()
      const line = await gateway.waitFor((l) => l.msg === 'gateway request' && l.status === 200)
      expect(line.route).toBe('/github')
      expect(JSON.stringify(gateway.lines)).not.toContain(SECRET)
    })

    it('refuses a wrong signature with 401 and forwards nothing', async () => {
      const before = received().length
      const res = await deliver('/github', '{"forged":true}', { secret: 'not-the-secret' })
      expect(res.status).toBe(401)
      expect(codeOf(res)).toBe('ZH_WEBHOOK_SIGNATURE_INVALID')
      await new Promise((r) => setTimeout(r, 1000))
      expect(received().length).toBe(before)
    })

    it('refuses a replayed delivery with 409', async () => {
      const delivery = randomUUID()
      expect((await deliver('/github', '{"n":1}', { delivery })).status).toBe(200)
      const again = await deliver('/github', '{"n":1}', { delivery })
      expect(again.status).toBe(409)
      expect(codeOf(again)).toBe('ZH_WEBHOOK_REPLAYED')
    })

    it('refuses a caller outside the route allow-list with 403, and an unknown path with 404', async () => {
      const before = received().length
      const res = await deliver('/github-office', '{"n":2}')
      expect(res.status).toBe(403)
      expect(codeOf(res)).toBe('ZH_WEBHOOK_IP_FORBIDDEN')
      const unknown = await deliver('/nope', '{"n":3}')
      expect(unknown.status).toBe(404)
      expect(codeOf(unknown)).toBe('ZH_GATEWAY_ROUTE_NOT_FOUND')
      expect(received().length).toBe(before)
    })

    it('caps the body before hashing (413) and never answers plain HTTP', async () => {
      const before = received().length
      const big = await deliver('/github', JSON.stringify({ pad: 'x'.repeat(70_000) }))
      expect(big.status).toBe(413)
      expect(codeOf(big)).toBe('ZH_WEBHOOK_BODY_TOO_LARGE')
      const plain = await new Promise<string>((resolve) => {
        const req = http.request(url.replace('https:', 'http:') + '/github', { method: 'POST' })
        req.on('response', (res) => resolve(`answered ${res.statusCode}`))
        req.on('error', (err) => resolve(`refused: ${err.message}`))
        req.end('{}')
      })
      expect(plain).toMatch(/^refused/)
      expect(received().length).toBe(before)
      expect(JSON.stringify(gateway.lines)).not.toContain('must-not-cross-the-gateway')
    })

    it('answers challenges itself (Slack, Dropbox GET, Asana first use) and forwards none', async () => {
      const before = received().length
      const post = (path: string, body: string, headers: Record<string, string>) =>
        rawRequest(url, { method: 'POST', path, body, ca, headers })
      const verification = '{"token":"t","challenge":"sys-ch-1","type":"url_verification"}'
      const slack = await post(
        '/slack',
        verification,
        signWebhook({ scheme: 'slack', secret: SLACK, body: verification }),
      )
      expect([slack.status, slack.body]).toEqual([200, { challenge: 'sys-ch-1' }])
      const dropbox = await rawRequest(url, { path: '/dropbox?challenge=sys-dbx', ca })
      expect([dropbox.status, dropbox.text]).toEqual([200, 'sys-dbx'])
      const get = await rawRequest(url, { path: '/github', ca })
      expect([get.status, codeOf(get)]).toEqual([405, 'ZH_GATEWAY_METHOD_NOT_ALLOWED'])

      const handshake = await post('/asana', '', { 'x-hook-secret': 'sys-asana-secret' })
      expect(handshake.status).toBe(200)
      const file = join(net.dir, 'gateway-state', 'learned', '%2Fasana.secret')
      expect((await readFile(file, 'utf8')).trim()).toBe('sys-asana-secret')
      expect((await stat(file)).mode & 0o777).toBe(0o600)
      const again = await post('/asana', '', { 'x-hook-secret': 'intruder' })
      expect([again.status, codeOf(again)]).toEqual([403, 'ZH_WEBHOOK_SECRET_ALREADY_LEARNED'])
      await gateway.waitFor(
        (l) => l.msg === 'gateway learned a webhook secret (trust on first use)',
      )
      expect(JSON.stringify(gateway.lines)).not.toContain('sys-asana-secret')
      await new Promise((r) => setTimeout(r, 500))
      expect(received().length).toBe(before)

      const event = '{"events":[{"action":"added"}]}'
      const signature = createHmac('sha256', 'sys-asana-secret').update(event).digest('hex')
      const delivered = await post('/asana', event, { 'x-hook-signature': signature })
      expect(delivered.status).toBe(200)
      const got = await receivedBody(event)
      expect(got.headers['x-zerohook-gateway-verified']).toBe('asana')
    })

    it('verifies Twilio over the route url plus the request path and query', async () => {
      const form = 'CallSid=CA1&From=%2B14155550100&Body=hi'
      const send = (signedUrl: string) =>
        rawRequest(url, {
          method: 'POST',
          path: '/twilio?tenant=7',
          body: form,
          ca,
          headers: {
            'content-type': 'application/x-www-form-urlencoded',
            ...signWebhook({ scheme: 'twilio', secret: TWILIO, url: signedUrl, body: form }),
          },
        })
      const ok = await send(`${PUBLIC}/twilio?tenant=7`)
      expect(ok.status).toBe(200)
      const got = await receivedBody(form)
      expect(got.path).toBe('/github-webhook/')
      expect(got.headers['x-twilio-signature']).toBeDefined()
      // Signed for the gateway's own address, not the public URL Twilio was given: refused.
      const wrong = await send(`${url}/twilio?tenant=7`)
      expect([wrong.status, codeOf(wrong)]).toEqual([401, 'ZH_WEBHOOK_SIGNATURE_INVALID'])
    })

    it('answers 202 while the target is down, then delivers once the receiver is back', async () => {
      await receiver!.stop()
      receiver = undefined
      const body = JSON.stringify({ queued: 'while the receiver was down' })
      const res = await deliver('/github', body)
      expect(res.status).toBe(202)
      const { id } = res.body as { id: string }
      expect(id).toMatch(/^gw_/)
      const retry = await gateway.waitFor((l) => l.msg === 'gateway retry' && l.id === id)
      expect(retry.status === null || (retry.status as number) >= 500).toBe(true)
      const back = await startReceiver()
      const got = await deliveredTo(back, id)
      expect(Buffer.from(got.body, 'base64').toString()).toBe(body)
      await gateway.waitFor((l) => l.msg === 'gateway delivered' && l.id === id)
    })

    it('keeps a queued webhook across a gateway restart and delivers it after', async () => {
      await receiver!.stop()
      receiver = undefined
      const body = JSON.stringify({ queued: 'across a restart' })
      const res = await deliver('/github', body)
      expect(res.status).toBe(202)
      const { id } = res.body as { id: string }
      expect(await gateway.stop()).toBe(0)
      const back = await startReceiver()
      await startGateway()
      await gateway.waitFor((l) => l.msg === 'gateway resuming queued webhooks')
      const got = await deliveredTo(back, id)
      expect(Buffer.from(got.body, 'base64').toString()).toBe(body)
    })
  },
)
