import { request } from 'node:http'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestController, type TestController } from '../../controller/controller.test-util.js'
import { codeOf } from '../../errors.test-util.js'
import { startConsole, type RunningConsole } from './server.js'

interface Answer {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: string
  json: { error?: { code: string } } & Record<string, unknown>
}

describe('console server: login, session, CSRF, Host and Origin', () => {
  let c: TestController
  let consoleServer: RunningConsole
  let root: string
  let host: string
  let cookie = ''
  let csrf = ''

  /** A request with exactly the headers given (Host defaults to the console's own). */
  function call(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ): Promise<Answer> {
    const url = new URL(consoleServer.url)
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: url.hostname,
          port: url.port,
          method,
          path,
          headers: { host, ...headers, ...(body ? { 'content-type': 'application/json' } : {}) },
        },
        (res) => {
          let text = ''
          res.on('data', (d: Buffer) => (text += d.toString()))
          res.on('end', () => {
            let json = {}
            try {
              json = JSON.parse(text) as object
            } catch {
              // not JSON (a page, an event stream)
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, json })
          })
        },
      )
      req.on('error', reject)
      req.end(body === undefined ? undefined : JSON.stringify(body))
    })
  }
  const own = () => ({ origin: `http://${host}`, cookie })

  beforeAll(async () => {
    c = await startTestController({ network: 'console' })
    root = await mkdtemp(join(tmpdir(), 'zh-console-'))
    await writeFile(join(root, 'index.html'), '<!doctype html><title>zerohook</title>')
    consoleServer = await startConsole({ admin: c.admin, root })
    host = new URL(consoleServer.url).host
  })
  afterAll(async () => {
    await consoleServer?.close()
    await c?.stop()
    await rm(root, { recursive: true, force: true })
  })

  it('logs in once with the printed token: an HttpOnly, SameSite=Strict session cookie', async () => {
    const token = new URL(consoleServer.loginUrl).searchParams.get('token')!
    expect(token.length).toBeGreaterThanOrEqual(43)
    const wrong = await call('GET', `/login?token=${'x'.repeat(token.length)}`)
    expect(wrong.json.error?.code).toBe('ZH_CONSOLE_LOGIN_INVALID')
    const ok = await call('GET', `/login?token=${token}`)
    expect(ok.status).toBe(303)
    const setCookie = String(ok.headers['set-cookie'])
    expect(setCookie).toMatch(/^zh_console=[\w-]{43}; HttpOnly; SameSite=Strict; Path=\//)
    cookie = setCookie.split(';')[0]!
    const again = await call('GET', `/login?token=${token}`)
    expect(again.json.error?.code).toBe('ZH_CONSOLE_LOGIN_INVALID')
    const session = await call('GET', '/api/session', { cookie })
    expect(session.status).toBe(200)
    expect(session.json).toMatchObject({ network: 'console', admin: 'admin' })
    csrf = session.json.csrf as string
    expect(csrf.length).toBeGreaterThanOrEqual(43)
  })

  it('refuses the API without the session cookie', async () => {
    expect((await call('GET', '/api/session')).json.error?.code).toBe('ZH_CONSOLE_SESSION_REQUIRED')
    const forged = await call('GET', '/api/v1/identities', { cookie: 'zh_console=forged' })
    expect(forged.status).toBe(401)
    expect(forged.json.error?.code).toBe('ZH_CONSOLE_SESSION_REQUIRED')
  })

  it('passes a change on with the CSRF token, and refuses it without, or with a wrong one', async () => {
    const body = { name: 'hooks', attributes: ['webhooks'] }
    const none = await call('POST', '/api/v1/services', own(), body)
    expect(none.json.error?.code).toBe('ZH_CONSOLE_CSRF_INVALID')
    const wrong = await call(
      'POST',
      '/api/v1/services',
      { ...own(), 'x-csrf-token': 'x' + csrf.slice(1) },
      body,
    )
    expect(wrong.json.error?.code).toBe('ZH_CONSOLE_CSRF_INVALID')
    expect((await call('GET', '/api/v1/services', own())).json).toEqual({ services: [] })
    const ok = await call('POST', '/api/v1/services', { ...own(), 'x-csrf-token': csrf }, body)
    expect(ok.status).toBe(200)
    expect(ok.json).toMatchObject({ service: { name: 'hooks' } })
    // The controller's own errors come back with their codes.
    const dup = await call('POST', '/api/v1/services', { ...own(), 'x-csrf-token': csrf }, body)
    expect(dup.status).toBe(409)
    expect(dup.json.error?.code).toBe('ZH_NAME_TAKEN')
  })

  it('refuses a foreign Origin, a missing Origin on a change, a foreign Host and cross-site fetches', async () => {
    const change = { cookie, 'x-csrf-token': csrf }
    const body = { name: 'other' }
    const foreign = await call(
      'POST',
      '/api/v1/services',
      { ...change, origin: 'http://evil.example' },
      body,
    )
    expect(foreign.json.error?.code).toBe('ZH_CONSOLE_ORIGIN_REFUSED')
    const https = await call(
      'POST',
      '/api/v1/services',
      { ...change, origin: `https://${host}` },
      body,
    )
    expect(https.json.error?.code).toBe('ZH_CONSOLE_ORIGIN_REFUSED')
    const missing = await call('POST', '/api/v1/services', change, body)
    expect(missing.json.error?.code).toBe('ZH_CONSOLE_ORIGIN_REFUSED')
    // DNS rebinding: a name that now resolves to 127.0.0.1, sent as the Host.
    const rebound = await call('GET', '/api/v1/services', {
      cookie,
      host: `evil.example:${new URL(consoleServer.url).port}`,
    })
    expect(rebound.json.error?.code).toBe('ZH_CONSOLE_ORIGIN_REFUSED')
    const page = await call('GET', '/', { host: 'evil.example' })
    expect(page.status).toBe(403)
    const crossSite = await call('GET', '/api/v1/services', {
      cookie,
      'sec-fetch-site': 'cross-site',
    })
    expect(crossSite.json.error?.code).toBe('ZH_CONSOLE_ORIGIN_REFUSED')
    expect((await call('GET', '/api/v1/services', own())).json).toMatchObject({
      services: [{ name: 'hooks' }],
    })
  })

  it('passes on only the routes its pages use', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/router/events'],
      ['POST', '/api/v1/enroll'],
      ['POST', '/api/v1/current-identity/renew'],
      ['GET', '/api/v1/identities/..%2Fcurrent-identity'],
      ['GET', '/api/v2/anything'],
    ] as const) {
      const r = await call(
        method,
        path,
        { ...own(), 'x-csrf-token': csrf },
        method === 'POST' ? {} : undefined,
      )
      expect(r.json.error?.code, `${method} ${path}`).toBe('ZH_CONSOLE_ROUTE_REFUSED')
    }
  })

  it('serves its pages with a strict content security policy, and nothing outside its folder', async () => {
    const page = await call('GET', '/identities')
    expect(page.status).toBe(200)
    expect(page.body).toContain('<title>zerohook</title>')
    expect(page.headers['content-security-policy']).toMatch(/default-src 'self'/)
    expect(page.headers['x-frame-options']).toBe('DENY')
    // A path that climbs stays inside the folder: the app's page, never the file it names.
    const climbed = await call('GET', '/..%2F..%2Fetc%2Fpasswd')
    expect(climbed.body).not.toContain('root:')
    expect(climbed.body).toContain('<title>zerohook</title>')
    expect((await call('GET', '/%2e%2e/%2e%2e/etc/passwd.js')).status).toBe(404)
  })

  it('streams the live view as server-sent events', async () => {
    const url = new URL(consoleServer.url)
    const first = await new Promise<string>((resolve, reject) => {
      const req = request(
        { host: url.hostname, port: url.port, path: '/api/events', headers: { host, cookie } },
        (res) => {
          let text = ''
          res.on('data', (d: Buffer) => {
            text += d.toString()
            if (text.includes('\n\n')) {
              req.destroy()
              resolve(text)
            }
          })
        },
      )
      req.on('error', (err) => (err.message.includes('aborted') ? undefined : reject(err)))
      req.end()
    })
    expect(first).toMatch(/^event: live\ndata: \{"routers":\[/)
  })

  it('listens on loopback only', async () => {
    expect(await codeOf(startConsole({ admin: c.admin, listen: '0.0.0.0:0' }))).toBe(
      'ZH_CONSOLE_LISTEN_INVALID',
    )
  })
})
