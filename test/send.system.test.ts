import { spawn } from 'node:child_process'
import { stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CLI, runCli, stopAllDaemons, type Daemon } from './helpers/cli.js'
import { startFixture, startNetwork, type TestNetwork } from './helpers/network.js'

const STANDARD_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const GITHUB_SECRET = 'a github hook secret'

/** What `zerohook send --json` prints. */
interface Sent {
  id: string
  status: number
  attempts: number
  duplicate: boolean
  body: string
}

/** `zerohook send` against dark receivers that verify every signature (real processes). */
describe('zerohook send over the overlay', { timeout: 180_000 }, () => {
  let net: TestNetwork
  let standard: Daemon
  let github: Daemon
  let ci: string

  beforeAll(async () => {
    net = await startNetwork(1)
    for (const service of ['standard-hook', 'github-hook', 'offline-hook'])
      await net.admin('service', 'create', service, '--attr', 'webhooks')
    await net.policy('senders-dial', 'dial', '#senders', '#webhooks')
    await net.policy('receivers-bind', 'bind', '#receivers', '#webhooks')
    const receiver = await net.identity('receiver', ['receivers'])
    ci = (await net.identity('ci', ['senders'])).file
    standard = startFixture('webhook-receiver.ts', [
      receiver.file,
      'standard-hook',
      'standard',
      STANDARD_SECRET,
    ])
    github = startFixture('webhook-receiver.ts', [
      receiver.file,
      'github-hook',
      'github',
      GITHUB_SECRET,
    ])
    await standard.waitFor((l) => l.event === 'ready')
    await github.waitFor((l) => l.event === 'ready')
  })

  afterAll(async () => {
    await stopAllDaemons()
    await net?.cleanup()
  })

  const send = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    runCli(['send', '--identity', ci, ...args], env)

  it('delivers a Standard Webhooks message the receiver verifies', async () => {
    const secretFile = join(net.dir, 'standard.secret')
    await writeFile(secretFile, `${STANDARD_SECRET}\n`, { mode: 0o600 })
    const r = await send([
      '--service',
      'standard-hook',
      '--path',
      '/hook',
      '--type',
      'build.finished',
      '--data',
      '{"build":42}',
      '--secret-file',
      secretFile,
      '--json',
    ])
    expect(r.stderr).toBe('') // no warning: the secret is not on the command line
    expect(r.code).toBe(0)
    const sent = JSON.parse(r.stdout) as Sent
    expect(sent).toMatchObject({ status: 202, attempts: 1, body: '{"accepted":true}' })
    const got = await standard.waitFor((l) => l.event === 'webhook' && l.id === sent.id)
    expect(got.body).toMatchObject({ type: 'build.finished', data: { build: 42 } })
    expect(got.path).toBe('/hook')
  })

  it('delivers a GitHub event from a file, with the secret from the environment', async () => {
    const event = { ref: 'refs/heads/main', after: 'f'.repeat(40), repository: { name: 'app' } }
    const file = join(net.dir, 'push.json')
    await writeFile(file, JSON.stringify(event, null, 2))
    const r = await send(
      [
        '--service',
        'github-hook',
        '--path',
        '/github-webhook/',
        '--scheme',
        'github',
        '--type',
        'push',
        '--file',
        file,
        '--header',
        'X-Trace: abc:1',
      ],
      { ZEROHOOK_WEBHOOK_SECRET: GITHUB_SECRET },
    )
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^delivered [0-9a-f-]{36}: HTTP 202 after 1 attempt\(s\)/)
    const id = /^delivered ([0-9a-f-]{36})/.exec(r.stdout)![1]
    const got = await github.waitFor((l) => l.event === 'webhook' && l.id === id)
    expect(got).toMatchObject({ githubEvent: 'push', path: '/github-webhook/', body: event })
  })

  it('reads the payload from stdin with -, and resends the same id as a duplicate', async () => {
    const viaStdin = (id: string) =>
      new Promise<{ code: number | null; stdout: string }>((done, fail) => {
        const child = spawn(
          process.execPath,
          [
            CLI,
            'send',
            '-',
            '--identity',
            ci,
            '--service',
            'standard-hook',
            '--path',
            '/hook',
            '--type',
            'deploy.requested',
            '--id',
            id,
            '--json',
          ],
          { env: { ...process.env, ZEROHOOK_WEBHOOK_SECRET: STANDARD_SECRET } },
        )
        let stdout = ''
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
        child.on('error', fail)
        child.on('close', (code) => done({ code, stdout }))
        child.stdin.end('{"service":"api","version":"1.2.3"}')
      })
    const first = await viaStdin('msg_stdin_once')
    expect(first.code).toBe(0)
    expect(JSON.parse(first.stdout)).toMatchObject({ id: 'msg_stdin_once', duplicate: false })
    const got = await standard.waitFor((l) => l.event === 'webhook' && l.id === 'msg_stdin_once')
    expect(got.body).toMatchObject({ type: 'deploy.requested', data: { version: '1.2.3' } })
    // The receiver's replay store has this id: 409 ZH_WEBHOOK_REPLAYED counts as delivered.
    const again = await viaStdin('msg_stdin_once')
    expect(again.code).toBe(0)
    expect(JSON.parse(again.stdout)).toMatchObject({ status: 409, duplicate: true })
  })

  it('reads the secret from stdin with --secret-file -, and warns when it is on the command line', async () => {
    const base = ['--service', 'standard-hook', '--json']
    const args = [...base, '--data', '{"n":1}']
    const viaStdin = (extra: string[], first = args) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((done, fail) => {
        const child = spawn(process.execPath, [CLI, 'send', '--identity', ci, ...first, ...extra])
        let stdout = ''
        let stderr = ''
        child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
        child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
        child.on('error', fail)
        child.on('close', (code) => done({ code, stdout, stderr }))
        child.stdin.end(`${STANDARD_SECRET}\n`)
      })
    const piped = await viaStdin(['--secret-file', '-'])
    expect(piped.stderr).toBe('')
    expect(piped.code).toBe(0)
    const sent = JSON.parse(piped.stdout) as Sent
    await standard.waitFor((l) => l.event === 'webhook' && l.id === sent.id)
    // The payload and the secret cannot both come from stdin.
    const both = await viaStdin(['--secret-file', '-', '-'], base)
    expect(both.code).toBe(2)
    expect(both.stderr).toContain('ZH_USAGE')
    const flagged = await send([...args, '--secret', STANDARD_SECRET])
    expect(flagged.code).toBe(0)
    expect(flagged.stderr).toContain('visible to other users')
    expect(flagged.stderr).not.toContain(STANDARD_SECRET)
  })

  it('is refused with a wrong secret: exit 1 ZH_SEND_REJECTED, no retry', async () => {
    const r = await send([
      '--service',
      'github-hook',
      '--scheme',
      'github',
      '--path',
      '/github-webhook/',
      '--data',
      '{}',
      '--secret',
      'not the secret',
      '--retries',
      '3',
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^message [0-9a-f-]{36}: HTTP 401 /m)
    expect(r.stderr).toMatch(/^ZH_SEND_REJECTED: /m)
    await github.waitFor((l) => l.event === 'refused' && l.code === 'ZH_WEBHOOK_SIGNATURE_INVALID')
    expect(r.stderr).not.toContain('retrying')
  })

  it('retries a receiver that is down, then exits 1 ZH_SEND_FAILED', async () => {
    const r = await send([
      '--service',
      'offline-hook',
      '--data',
      '{}',
      '--secret',
      STANDARD_SECRET,
      '--retries',
      '2',
      '--timeout',
      '10000',
    ])
    expect(r.code).toBe(1)
    const retries = r.stderr.split('\n').filter((l) => l.includes('attempt failed; retrying'))
    expect(retries).toHaveLength(2)
    expect(retries[0]).toContain('ZH_ROUTER_NO_TERMINATOR')
    expect(r.stderr).toMatch(/^ZH_SEND_FAILED: .*3 attempt\(s\); last: ZH_ROUTER_NO_TERMINATOR/m)
  })

  it('refuses an identity without a dial policy: exit 1 ZH_SDK_NO_GRANT, no retry', async () => {
    const stranger = await net.identity('stranger', [])
    const before = standard.lines.filter((l) => l.event === 'webhook').length
    const r = await runCli([
      'send',
      '--identity',
      stranger.file,
      '--service',
      'standard-hook',
      '--path',
      '/hook',
      '--data',
      '{}',
      '--secret',
      STANDARD_SECRET,
    ])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^ZH_SDK_NO_GRANT: /m)
    expect(r.stderr).not.toContain('retrying')
    expect(standard.lines.filter((l) => l.event === 'webhook').length).toBe(before)
  })

  it('rejects bad input before connecting', async () => {
    const base = ['--service', 'standard-hook', '--secret', STANDARD_SECRET]
    const usage: string[][] = [
      [...base, '--data', '{}', '--file', 'x.json'], // two payloads
      [...base], // no payload
      [...base, '--data', '{}', '--header', 'no-colon'],
      [...base, '--data', '{}', '--retries', 'many'],
      [...base, '--data', '{}', '--scheme', 'stripe'],
      ['--service', 'standard-hook', '--data', '{}'], // no secret, none in the environment
    ]
    for (const args of usage) {
      const r = await send(args, { ZEROHOOK_WEBHOOK_SECRET: '' })
      expect({ args, code: r.code }).toEqual({ args, code: 2 })
    }
    const json = await send([...base, '--data', '{"unterminated'])
    expect(json.code).toBe(1)
    expect(json.stderr).toMatch(/^ZH_SEND_PAYLOAD_INVALID: /m)
    const reserved = await send([...base, '--data', '{}', '--header', 'webhook-id: msg_x'])
    expect(reserved.code).toBe(1)
    expect(reserved.stderr).toMatch(/^ZH_SEND_HEADER_INVALID: /m)
  })
  // Last: it stops the controller.
  it('sends with the grants it cached next to the identity while the controller is down', async () => {
    expect((await stat(`${ci}.grants`)).mode & 0o777).toBe(0o600)
    await net.controller.stop()
    const args = ['--service', 'standard-hook', '--path', '/hook', '--data', '{"offline":1}']
    const env = { ZEROHOOK_WEBHOOK_SECRET: STANDARD_SECRET } // stderr holds only the timing
    const cached = await send([...args, '--json', '--timing'], env)
    expect(cached.code).toBe(0)
    const sent = JSON.parse(cached.stdout) as Sent
    await standard.waitFor((l) => l.event === 'webhook' && l.id === sent.id)
    const timing = JSON.parse(cached.stderr) as { timing: { steps: { name: string }[] } }
    expect(timing.timing.steps.map((s) => s.name)).toEqual([
      'start',
      'identity',
      'grants-cached',
      'router-tls',
      'dial',
      'e2e',
      'delivery',
    ])
    const fetched = await send([...args, '--no-grant-cache'], env)
    expect(fetched.code).toBe(1)
    expect(fetched.stderr).toMatch(/^ZH_CONNECT_FAILED: /m)
  })
})
