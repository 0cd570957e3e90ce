import { createHmac } from 'node:crypto'
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { createMemoryReplayStore } from '../replay/memory.js'
import { signWebhook } from '../sign.js'
import { frameworks, post, type Reply, type Running } from './frameworks.test-util.js'
import { fileLearnedSecret } from './learned-secret.js'
import type { ReceiverOptions } from './receiver.js'

const NOW = 1_700_000_000
const SLACK = '8f742231b10e8888abcd99yyyzzz85a5'
const dir = mkdtempSync(join(tmpdir(), 'zh-mw-challenge-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

// Asana and Dropbox sign with a hex HMAC-SHA256 of the body, computed here independently.
const hexHmac = (secret: string, body: string) =>
  createHmac('sha256', secret).update(body).digest('hex')

const errorCode = (reply: Reply) =>
  (JSON.parse(reply.text) as { error: { code: string } }).error.code

async function get(url: string): Promise<{ status: number; headers: Headers; text: string }> {
  const res = await fetch(url)
  return { status: res.status, headers: res.headers, text: await res.text() }
}

let n = 0
for (const [name, start] of Object.entries(frameworks)) {
  describe(`receiver middleware: challenges, ${name}`, () => {
    let running: Running | undefined
    afterEach(async () => {
      await running?.close()
      running = undefined
    })
    const up = async (options: Partial<ReceiverOptions> & Pick<ReceiverOptions, 'scheme'>) => {
      running = await start({ replay: createMemoryReplayStore(), now: () => NOW, ...options }, {})
      return running
    }
    const slack = (body: string, secret = SLACK) => ({
      'content-type': 'application/json',
      ...signWebhook({ scheme: 'slack', secret, timestamp: NOW, body }),
    })

    it('answers a signed Slack url_verification without calling the handler', async () => {
      const r = await up({ scheme: 'slack', secret: SLACK })
      const body = '{"token":"t","challenge":"3eZbrw1aBm2rZgRNFdxV","type":"url_verification"}'
      const reply = await post(r.url, slack(body), Buffer.from(body))
      expect(reply.status).toBe(200)
      expect(JSON.parse(reply.text)).toEqual({ challenge: '3eZbrw1aBm2rZgRNFdxV' })
      expect(reply.headers['x-content-type-options']).toBe('nosniff')
      const forged = await post(r.url, slack(body, 'not-the-secret'), Buffer.from(body))
      expect([forged.status, errorCode(forged)]).toEqual([401, 'ZH_WEBHOOK_SIGNATURE_INVALID'])
      const event = '{"type":"event_callback","event":{"type":"app_mention"}}'
      expect((await post(r.url, slack(event), Buffer.from(event))).status).toBe(204)
      expect(r.seen.map((w) => w.body)).toEqual([JSON.parse(event)])
    })

    it('echoes a GET URL check (Dropbox) and nothing else reaches the handler', async () => {
      const r = await up({ scheme: 'dropbox', secret: 'dropbox-app-secret' })
      const reply = await get(`${r.url}?challenge=abc123`)
      expect([reply.status, reply.text]).toEqual([200, 'abc123'])
      expect(reply.headers.get('x-content-type-options')).toBe('nosniff')
      expect(reply.headers.get('cache-control')).toBe('no-store')
      const plain = await get(r.url)
      // Fastify has a GET route only for challenges; node:http and Express verify it (unsigned).
      expect(plain.status).toBe(name === 'fastify' ? 405 : 400)
      expect(r.seen).toHaveLength(0)
    })

    it('acknowledges the HEAD Intercom checks a URL with, calling no handler', async () => {
      const r = await up({ scheme: 'intercom', secret: 'intercom-client-secret' })
      const res = await fetch(r.url, { method: 'HEAD' })
      expect(res.status).toBe(200)
      expect(r.seen).toHaveLength(0)
    })

    it('answers the Okta verification GET, checking its authorization header', async () => {
      const r = await up({ scheme: 'okta', secret: 'okta-auth-header-value' })
      const ask = (authorization: string) =>
        fetch(r.url, {
          headers: { 'x-okta-verification-challenge': 'v-42', authorization },
        }).then(async (res) => ({ status: res.status, text: await res.text() }))
      const ok = await ask('okta-auth-header-value')
      expect([ok.status, JSON.parse(ok.text)]).toEqual([200, { verification: 'v-42' }])
      expect((await ask('wrong')).status).toBe(401)
      expect(r.seen).toHaveLength(0)
    })

    it('keeps a handed-over secret (Asana) on first use, verifies with it, refuses a second', async () => {
      const file = join(dir, `${name}-${++n}`, 'asana.secret')
      const r = await up({ scheme: 'asana', learnedSecret: fileLearnedSecret(file) })
      const event = '{"events":[{"action":"changed"}]}'
      const signed = (secret: string) => ({
        'content-type': 'application/json',
        'x-hook-signature': hexHmac(secret, event),
      })
      const early = await post(r.url, signed('guess'), Buffer.from(event))
      expect([early.status, errorCode(early)]).toEqual([401, 'ZH_WEBHOOK_SECRET_NOT_LEARNED'])

      const handshake = await post(r.url, { 'x-hook-secret': 'first-secret' }, Buffer.alloc(0))
      expect(handshake.status).toBe(200)
      expect(handshake.headers['x-hook-secret']).toBe('first-secret')
      expect(statSync(file).mode & 0o777).toBe(0o600)
      expect(statSync(join(file, '..')).mode & 0o777).toBe(0o700)

      expect((await post(r.url, signed('first-secret'), Buffer.from(event))).status).toBe(204)
      const again = await post(r.url, { 'x-hook-secret': 'attacker' }, Buffer.alloc(0))
      expect([again.status, errorCode(again)]).toEqual([403, 'ZH_WEBHOOK_SECRET_ALREADY_LEARNED'])
      const forged = await post(r.url, signed('attacker'), Buffer.from(event))
      expect(errorCode(forged)).toBe('ZH_WEBHOOK_SIGNATURE_INVALID')
      expect(r.seen).toHaveLength(1)
    })

    it('refuses a handshake that hands over a secret when there is nowhere to keep it', async () => {
      const logged: unknown[] = []
      const log = { info: () => undefined, error: (obj: object) => logged.push(obj) }
      const r = await up({ scheme: 'asana', secret: 'configured', log })
      const reply = await post(r.url, { 'x-hook-secret': 'lost' }, Buffer.alloc(0))
      // ZH_WEBHOOK_SECRET_NOT_KEPT is the operator's to fix: told as ZH_INTERNAL, logged.
      expect([reply.status, errorCode(reply)]).toEqual([500, 'ZH_INTERNAL'])
      expect(logged).toMatchObject([{ err: { code: 'ZH_WEBHOOK_SECRET_NOT_KEPT' } }])
      expect(reply.headers['x-hook-secret']).toBeUndefined()
    })
  })
}
