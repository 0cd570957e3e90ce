import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NetworkStatus } from '../src/controller/ops/status.js'
import { fingerprint, inspectCertificate } from '../src/pki/inspect.js'
import { runCli, startDaemon, stopAllDaemons, tempDir } from './helpers/cli.js'

/** Lifetimes as an operator sets and watches them, through the CLI. */
describe('lifetimes on the command line', { timeout: 120_000 }, () => {
  let dir: string
  let cleanup: () => Promise<void>

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('zh-life-'))
  })
  afterAll(async () => {
    await stopAllDaemons()
    await cleanup()
  })

  const init = (name: string, ...flags: string[]) =>
    runCli(['controller', 'init', '--dir', join(dir, name), '--listen', '127.0.0.1:0', ...flags])

  it.each([
    [['--grant-ttl', '0']],
    [['--grant-ttl', '-5']],
    [['--grant-ttl', 'soon']],
    [['--cert-ttl', '5']],
    [['--grant-ttl', '120', '--cert-ttl', '60']],
    [['--ca-ttl', '86400']],
    [['--controller-cert-ttl', '0']],
  ])('refuses init %j as a usage error with ZH_CONFIG_LIFETIME_INVALID', async (flags) => {
    const r = await init(`bad-${flags.join('')}`, ...flags)
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/ZH_CONFIG_LIFETIME_INVALID/)
  })

  it('stores the lifetimes at init, applies them at run, and refuses a bad override', async () => {
    const made = await init('ok', '--grant-ttl', '30', '--cert-ttl', '120')
    expect(made.code, made.stderr).toBe(0)
    const config = JSON.parse(await readFile(join(dir, 'ok', 'controller.json'), 'utf8')) as {
      lifetimes: Record<string, number>
    }
    expect(config.lifetimes).toMatchObject({ grantTtl: 30, certTtl: 120 })
    const bad = await runCli(['controller', 'run', '--dir', join(dir, 'ok'), '--grant-ttl', '300'])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/ZH_CONFIG_LIFETIME_INVALID/)
    const ctl = startDaemon(['controller', 'run', '--dir', join(dir, 'ok'), '--grant-ttl', '20'])
    const ready = await ctl.waitFor((l) => l.msg === 'controller listening')
    expect(ready).toMatchObject({ grantTtl: 20, certTtl: 120 })
    await ctl.stop()
  })

  it('warns about a CA and an admin certificate near their end, and admin renew renews', async () => {
    const made = await init(
      'short',
      '--ca-ttl',
      String(10 * 86_400),
      '--cert-ttl',
      '3600',
      '--controller-cert-ttl',
      String(86_400),
    )
    expect(made.code, made.stderr).toBe(0)
    const ctl = startDaemon(['controller', 'run', '--dir', join(dir, 'short')])
    await ctl.waitFor((l) => l.msg === 'controller listening')
    const adminFile = join(dir, 'short', 'admin.json')

    const human = await runCli(['status', '--dir', join(dir, 'short')])
    expect(human.code, human.stderr).toBe(0)
    expect(human.stdout).toMatch(/^KIND\s+NAME\s+EXPIRES/m)
    expect(human.stdout).toMatch(/^WARN ca zerohook zerohook CA: expires at/m)
    expect(human.stdout).toMatch(/^WARN admin admin: expires at/m)
    // Every management command says the admin certificate is running out, and how to renew.
    expect(human.stderr).toMatch(/^WARN admin certificate .*`zerohook admin renew --admin /m)

    const json = await runCli(['status', '--json', '--dir', join(dir, 'short')])
    expect(json.code).toBe(0)
    const status = JSON.parse(json.stdout) as NetworkStatus
    expect(status.certificates.map((c) => c.kind)).toEqual(['ca', 'controller', 'admin'])
    expect(status.warnings).toHaveLength(2)
    const ca = status.certificates[0]!
    expect(ca.expiresIn).toBeGreaterThan(9 * 86_400)
    expect(ca.expiresIn).toBeLessThanOrEqual(10 * 86_400)

    const before = await readFile(adminFile, 'utf8')
    const renewed = await runCli(['admin', 'renew', '--admin', adminFile, '--json'])
    expect(renewed.code, renewed.stderr).toBe(0)
    const after = JSON.parse(await readFile(adminFile, 'utf8')) as { certificate: string }
    const old = JSON.parse(before) as { certificate: string }
    expect(fingerprint(after.certificate)).not.toBe(fingerprint(old.certificate))
    expect(inspectCertificate(after.certificate).notAfter.getTime()).toBeGreaterThan(
      inspectCertificate(old.certificate).notAfter.getTime(),
    )
    // The renewed admin works, and the controller counted the renewal.
    const again = JSON.parse(
      (await runCli(['status', '--json', '--admin', adminFile])).stdout,
    ) as NetworkStatus
    expect(again.certificates.find((c) => c.kind === 'admin')!.renewals).toBe(1)
    await ctl.stop()
  })

  it('an endpoint whose certificate expired says ZH_CERT_EXPIRED and how to enroll again', async () => {
    const made = await init('expiring', '--grant-ttl', '5', '--cert-ttl', '10')
    expect(made.code, made.stderr).toBe(0)
    const ctl = startDaemon(['controller', 'run', '--dir', join(dir, 'expiring')])
    await ctl.waitFor((l) => l.msg === 'controller listening')
    const admin = ['--dir', join(dir, 'expiring')]
    const token = join(dir, 'sleepy.jwt')
    expect((await runCli(['identity', 'create', 'sleepy', '--out', token, ...admin])).code).toBe(0)
    const file = join(dir, 'sleepy.json')
    expect((await runCli(['enroll', token, '--out', file])).code).toBe(0)
    // The machine "sleeps" past the certificate's life.
    await sleep(11_000)
    const r = await runCli(['send', '--identity', file, '--service', 'x', '--data', '{}'], {
      ZEROHOOK_WEBHOOK_SECRET: 'whsec_c29tZS1zZWNyZXQtb2YtdGhpcnR5LXR3by1ieXRlcyE=',
    })
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^ZH_CERT_EXPIRED: .*zerohook identity token sleepy/m)
    await ctl.stop()
  })
})
