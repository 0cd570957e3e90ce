import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Command } from 'commander'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { startTestController, type TestController } from '../controller/controller.test-util.js'
import { codeOf } from '../errors.test-util.js'
import { ControllerClient } from '../sdk/controller-client.js'
import { enrollWithToken } from '../sdk/enroll.js'
import { loadIdentity, saveIdentity } from '../sdk/identity-file.js'
import { certificateExpiry } from '../sdk/renewal.js'
import { entityCommands } from './entities.js'
import { routerRunCommand } from './router.js'

/** Runs `zerohook router ARGS` in this process; resolves with what it printed. */
async function zh(...args: string[]): Promise<string> {
  const out: string[] = []
  const spy = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out.push(String(chunk))
    return true
  })
  try {
    const program = new Command('zerohook').exitOverride()
    const router = entityCommands(
      program,
      { key: 'router', path: '/v1/routers', enrolls: true, canUpdate: false },
      'Manage and run routers',
    )
    routerRunCommand(router)
    await program.parseAsync(['node', 'zerohook', 'router', ...args])
  } finally {
    spy.mockRestore()
  }
  return out.join('')
}

const read = async (file: string) => (await readFile(file, 'utf8')).trim()

describe(
  'zerohook router token and run --enroll (enrolling a router again)',
  { timeout: 60_000 },
  () => {
    let c: TestController
    let dir: string
    let admin: string[]

    beforeAll(async () => {
      c = await startTestController({ network: 'cli', settings: { certTtl: 10, grantTtl: 5 } })
      dir = await mkdtemp(join(tmpdir(), 'zh-cli-router-'))
      admin = ['--admin', join(c.dir, 'admin.json')]
    })
    afterAll(async () => {
      await c?.stop()
      if (dir) await rm(dir, { recursive: true, force: true })
    })

    it('issues a new one-time token for a router; the one before it is refused, and each works once', async () => {
      const t0 = join(dir, 't0')
      await zh('create', 'r1', ...admin, '--out', t0)
      const enrolled = await enrollWithToken(await read(t0))
      const t1 = join(dir, 't1')
      expect(await zh('token', 'r1', ...admin, '--out', t1)).toBe(
        `enrollment token written to ${t1}\n`,
      )
      expect((await stat(t1)).mode & 0o777).toBe(0o600)
      const json = JSON.parse(await zh('token', 'r1', ...admin, '--json')) as {
        enrollment: { token: string; expiresAt: string }
      }
      expect(Date.parse(json.enrollment.expiresAt)).toBeGreaterThan(Date.now())
      // A new token replaces the unused one before it; a used one stays used.
      expect(await codeOf(enrollWithToken(await read(t1)))).toBe('ZH_ENROLL_TOKEN_INVALID')
      expect(await codeOf(enrollWithToken(await read(t0)))).toBe('ZH_ENROLL_TOKEN_USED')
      const again = await enrollWithToken(json.enrollment.token)
      expect(again.id).toBe(enrolled.id)
      expect(again.kind).toBe('router')
      expect(await codeOf(enrollWithToken(json.enrollment.token))).toBe('ZH_ENROLL_TOKEN_USED')
      expect(await codeOf(zh('token', 'nope', ...admin))).toBe('ZH_ROUTER_NOT_FOUND')
      // Admins only: a router may not mint tokens, not even its own.
      const asRouter = new ControllerClient(again).call('POST', '/v1/routers/r1/enrollment')
      expect(await codeOf(asRouter)).toBe('ZH_AUTH_ADMIN_REQUIRED')
    })

    it('run refuses an expired identity with ZH_CERT_EXPIRED, and enrolls again with --enroll', async () => {
      const routerDir = join(dir, 'r2')
      const path = join(routerDir, 'identity.json')
      const t = join(dir, 'r2-create')
      await zh('create', 'r2', ...admin, '--out', t)
      await saveIdentity(path, await enrollWithToken(await read(t)))
      const old = await loadIdentity(path)
      const token = join(dir, 'r2-token')
      await zh('token', 'r2', ...admin, '--out', token)
      // The run fails at once on its --listen, after the identity step: enough to see that step.
      const run = (...extra: string[]) => zh('run', '--dir', routerDir, '--listen', 'bad', ...extra)

      // While the identity is valid, --enroll is ignored (and its token not spent).
      expect(await codeOf(run('--enroll', token))).toBe('ZH_CONFIG_INVALID')
      expect((await loadIdentity(path)).certificate).toBe(old.certificate)

      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, certificateExpiry(old.certificate) - Date.now() + 100)),
      )
      const expired = await run().catch((err: Error & { code?: string }) => err)
      expect(typeof expired === 'string' ? 'no error' : expired.code).toBe('ZH_CERT_EXPIRED')
      expect((expired as Error).message).toContain('zerohook router token r2')

      // A token for another router must not replace this one's identity.
      const other = join(dir, 'r1-token')
      await zh('token', 'r1', ...admin, '--out', other)
      expect(await codeOf(run('--enroll', other))).toBe('ZH_ENROLL_TOKEN_INVALID')
      expect((await loadIdentity(path)).certificate).toBe(old.certificate)

      expect(await codeOf(run('--enroll', token))).toBe('ZH_CONFIG_INVALID')
      const renewed = await loadIdentity(path)
      expect(renewed.id).toBe(old.id)
      expect(renewed.certificate).not.toBe(old.certificate)
      expect(renewed.key).not.toBe(old.key)
      expect(certificateExpiry(renewed.certificate)).toBeGreaterThan(Date.now())
      expect((await stat(path)).mode & 0o777).toBe(0o600)
      expect(await codeOf(enrollWithToken(await read(token)))).toBe('ZH_ENROLL_TOKEN_USED')
    })
  },
)
