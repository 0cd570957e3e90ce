import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startDaemon, stopAllDaemons, type Daemon } from './helpers/cli.js'
import { startNetwork, type TestNetwork } from './helpers/network.js'

/** `zerohook console` as a user runs it: a login URL on stdout, the API behind a session. */
describe('zerohook console (real processes)', { timeout: 120_000 }, () => {
  let net: TestNetwork
  let consoleProcess: Daemon
  let loginUrl: URL

  beforeAll(async () => {
    net = await startNetwork(1)
    consoleProcess = startDaemon(['console', '--dir', join(net.dir, 'ctl')])
    const line = await consoleProcess.waitFor(
      (l) => typeof l.text === 'string' && l.text.startsWith('open '),
    )
    loginUrl = new URL(String(line.text).slice('open '.length))
  })
  afterAll(async () => {
    await stopAllDaemons()
    await net?.cleanup()
  })

  it('prints a one-time login URL on loopback, never logs it, and serves the API behind it', async () => {
    expect(loginUrl.hostname).toBe('127.0.0.1')
    // The log line and the printed URL go out on two paths (pino, stdout): either may come first.
    const listening = await consoleProcess.waitFor((l) => l.msg === 'console listening')
    expect(JSON.stringify(consoleProcess.lines.filter((l) => l.msg))).not.toContain(
      loginUrl.searchParams.get('token'),
    )
    expect(String(listening.url)).toBe(loginUrl.origin)
    const login = await fetch(loginUrl, { redirect: 'manual' })
    expect(login.status).toBe(303)
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    const routers = await fetch(new URL('/api/v1/routers', loginUrl), { headers: { cookie } })
    expect(await routers.json()).toMatchObject({ routers: [{ name: 'router-1' }] })
    const replay = await fetch(loginUrl, { redirect: 'manual' })
    expect(replay.status).toBe(401)
  })
})
