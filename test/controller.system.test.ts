import { createHash, X509Certificate } from 'node:crypto'
import { readFile, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeJwt } from 'jose'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  cliJson,
  runCli,
  startDaemon,
  stopAllDaemons,
  tempDir,
  type Daemon,
} from './helpers/cli.js'
import { codeOf, rawRequest } from './helpers/https.js'

interface Grants {
  grants: { service: { name: string }; action: string; token: string }[]
  services: { name: string; actions: string[] }[]
  routers: { name: string }[]
}

/** The controller flow a user runs: init, run, manage through the CLI, enroll, fetch grants. */
describe('controller, CLI and enrollment as real processes', { timeout: 180_000 }, () => {
  let dir: string
  let cleanup: () => Promise<void>
  let controller: Daemon
  let url: string
  let ca: string
  const admin = () => ['--dir', dir]

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
    const init = await runCli([
      'controller',
      'init',
      '--dir',
      dir,
      '--name',
      'acme',
      '--listen',
      '127.0.0.1:0',
    ])
    expect(init.code, init.stderr).toBe(0)
    controller = startDaemon(['controller', 'run', '--dir', dir])
    const ready = await controller.waitFor((l) => l.msg === 'controller listening')
    url = ready.url as string
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)
    ca = await readFile(join(dir, 'ca.pem'), 'utf8')
  })

  afterAll(async () => {
    await stopAllDaemons()
    await cleanup()
  })

  it('keeps private keys owner-only', async () => {
    for (const f of ['ca.key', 'controller.key', 'signing.key', 'admin.json']) {
      expect((await stat(join(dir, f))).mode & 0o777, f).toBe(0o600)
    }
  })

  it('manages identities, services and policies, enrolls, and hands out exactly the permitted grants', async () => {
    await cliJson([
      'identity',
      'create',
      'github-action',
      '--attr',
      'senders',
      '--out',
      join(dir, 'gh.jwt'),
      ...admin(),
    ])
    await cliJson([
      'identity',
      'create',
      'jenkins',
      '--attr',
      'receivers',
      '--out',
      join(dir, 'jenkins.jwt'),
      ...admin(),
    ])
    await cliJson([
      'identity',
      'create',
      'stranger',
      '--out',
      join(dir, 'stranger.jwt'),
      ...admin(),
    ])
    await cliJson(['service', 'create', 'jenkins-webhook', '--attr', 'webhooks', ...admin()])
    await cliJson(['service', 'create', 'billing', '--attr', 'internal', ...admin()])
    await cliJson([
      'policy',
      'create',
      'senders-dial',
      '--type',
      'dial',
      '--identities',
      '#senders',
      '--services',
      '#webhooks',
      ...admin(),
    ])
    await cliJson([
      'policy',
      'create',
      'receivers-bind',
      '--type',
      'bind',
      '--identities',
      '#receivers',
      '--services',
      '#webhooks',
      ...admin(),
    ])

    const listed = await cliJson<{ identities: { name: string; enrolled: boolean }[] }>([
      'identity',
      'list',
      ...admin(),
    ])
    expect(listed.identities.map((i) => i.name)).toEqual([
      'admin',
      'github-action',
      'jenkins',
      'stranger',
    ])
    const human = await runCli(['identity', 'list', ...admin()])
    expect(human.stdout).toMatch(/^NAME\s+ID\s+KIND/)
    expect(human.stdout).toContain('#senders')

    for (const name of ['gh', 'jenkins', 'stranger']) {
      const r = await runCli([
        'enroll',
        join(dir, `${name}.jwt`),
        '--out',
        join(dir, `${name}.json`),
      ])
      expect(r.code, r.stderr).toBe(0)
      expect((await stat(join(dir, `${name}.json`))).mode & 0o777).toBe(0o600)
    }
    const again = await runCli(['enroll', join(dir, 'gh.jwt'), '--out', join(dir, 'gh2.json')])
    expect(again.code).toBe(1)
    expect(again.stderr).toMatch(/^ZH_ENROLL_TOKEN_USED: /)

    const gh = await cliJson<Grants>(['grants', '--identity', join(dir, 'gh.json')])
    expect(gh.grants.map((g) => `${g.service.name}:${g.action}`)).toEqual(['jenkins-webhook:dial'])
    expect(gh.routers).toEqual([])
    const identity = JSON.parse(await readFile(join(dir, 'gh.json'), 'utf8')) as {
      certificate: string
      id: string
    }
    const claims = decodeJwt(gh.grants[0]!.token)
    expect(claims.sub).toBe(identity.id)
    expect(claims.cfp).toBe(
      createHash('sha256').update(new X509Certificate(identity.certificate).raw).digest('hex'),
    )
    expect(claims.act).toBe('dial')

    const jenkins = await cliJson<Grants>(['grants', '--identity', join(dir, 'jenkins.json')])
    expect(jenkins.grants.map((g) => `${g.service.name}:${g.action}`)).toEqual([
      'jenkins-webhook:bind',
    ])
    const stranger = await cliJson<Grants>(['grants', '--identity', join(dir, 'stranger.json')])
    expect(stranger.grants).toEqual([])

    // Move the dial permission from #senders to @jenkins: the grants follow.
    await cliJson(['policy', 'update', 'senders-dial', '--identities', '@jenkins', ...admin()])
    const ghAfter = await cliJson<Grants>(['grants', '--identity', join(dir, 'gh.json')])
    expect(ghAfter.grants).toEqual([])
    const jenkinsAfter = await cliJson<Grants>(['grants', '--identity', join(dir, 'jenkins.json')])
    expect(jenkinsAfter.grants.map((g) => `${g.service.name}:${g.action}`).sort()).toEqual([
      'jenkins-webhook:bind',
      'jenkins-webhook:dial',
    ])

    // An attribute change grants access through the other policy.
    await cliJson(['identity', 'update', 'stranger', '--attr', 'receivers', ...admin()])
    const strangerAfter = await cliJson<Grants>([
      'grants',
      '--identity',
      join(dir, 'stranger.json'),
    ])
    expect(strangerAfter.grants.map((g) => g.action)).toEqual(['bind'])

    // Deleted: its grant request is refused.
    await cliJson(['identity', 'delete', 'github-action', ...admin()])
    const refused = await runCli(['grants', '--identity', join(dir, 'gh.json')])
    expect(refused.code).toBe(1)
    expect(refused.stderr).toMatch(/^ZH_IDENTITY_DELETED: /)

    // Disabled: refused too, with its own code.
    await cliJson(['identity', 'disable', 'stranger', ...admin()])
    const disabled = await runCli(['grants', '--identity', join(dir, 'stranger.json')])
    expect(disabled.stderr).toMatch(/^ZH_IDENTITY_DISABLED: /)

    // Not an admin: management is refused.
    const notAdmin = await runCli(['identity', 'list', '--admin', join(dir, 'jenkins.json')])
    expect(notAdmin.code).toBe(1)
    expect(notAdmin.stderr).toMatch(/^ZH_AUTH_ADMIN_REQUIRED: /)
  })

  it('lets a client without a certificate reach the CA bundle and enrollment only', async () => {
    const caAnswer = await rawRequest(url, { path: '/v1/ca', ca })
    expect(caAnswer.status).toBe(200)
    expect((caAnswer.body as { ca: string }).ca).toBe(ca)
    expect((await rawRequest(url, { path: '/v1/network', ca })).status).toBe(200)
    const enroll = await rawRequest(url, {
      method: 'POST',
      path: '/v1/enroll',
      ca,
      body: JSON.stringify({ token: 'x', csr: 'y' }),
    })
    expect(codeOf(enroll)).toBe('ZH_ENROLL_TOKEN_INVALID')
    for (const [method, path] of [
      ['GET', '/v1/identities'],
      ['POST', '/v1/identities'],
      ['GET', '/v1/services'],
      ['GET', '/v1/service-policies'],
      ['GET', '/v1/routers'],
      ['GET', '/v1/current-identity/grants'],
      ['POST', '/v1/current-identity/renew'],
      ['GET', '/v1/openapi.json'],
      ['GET', '/metrics'],
    ] as const) {
      const answer = await rawRequest(url, {
        method,
        path,
        ca,
        ...(method === 'POST' ? { body: '{}' } : {}),
      })
      expect(answer.status, path).toBe(401)
      expect(codeOf(answer), path).toBe('ZH_AUTH_CLIENT_CERT_REQUIRED')
    }
  })

  it('serves metrics and the OpenAPI document to an admin', async () => {
    const adminFile = JSON.parse(await readFile(join(dir, 'admin.json'), 'utf8')) as {
      certificate: string
      key: string
    }
    const tls = { ca, cert: adminFile.certificate, key: adminFile.key }
    const metrics = await rawRequest(url, { path: '/metrics', ...tls })
    expect(metrics.status).toBe(200)
    expect(metrics.text).toMatch(/zh_controller_enrollments_total\{result="ok"\} 3/)
    const openapi = await rawRequest(url, { path: '/v1/openapi.json', ...tls })
    expect(
      (openapi.body as { openapi: string; paths: Record<string, unknown> }).paths,
    ).toHaveProperty('/v1/identities')
  })

  it('never logs tokens or keys', async () => {
    const logged = JSON.stringify(controller.lines)
    expect(controller.lines.length).toBeGreaterThan(3)
    const token = (await readFile(join(dir, 'jenkins.jwt'), 'utf8')).trim()
    expect(logged).not.toContain(token)
    expect(logged).not.toContain('PRIVATE KEY')
    expect(logged).not.toContain('CERTIFICATE REQUEST')
  })

  it('stops cleanly on SIGTERM', async () => {
    expect(await controller.stop()).toBe(0)
  })
})
