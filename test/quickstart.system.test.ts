import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { cliJson, runCli, startDaemon, stopAllDaemons, tempDir } from './helpers/cli.js'

/** Pids of live processes whose command line mentions `text` (the quickstart's directory). */
function processesMentioning(text: string): number[] {
  const pids: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(text)) pids.push(Number(entry))
    } catch {
      // gone meanwhile
    }
  }
  return pids
}

describe('zerohook quickstart', () => {
  afterAll(stopAllDaemons)

  it('runs the whole story, every check holds, exits 0 and leaves no process behind', async () => {
    const { dir, cleanup } = await tempDir('zh-qs-')
    try {
      const r = await runCli(['quickstart', '--dir', join(dir, 'net')])
      expect(r.stderr).toBe('')
      expect(r.code).toBe(0)
      const steps = r.stdout.match(/^\[\s*\d+\/\d+\] .* \.\.\. ok$/gm) ?? []
      expect(steps.length).toBe(13)
      expect(r.stdout).not.toContain('FAILED')
      for (const shown of [
        '0 listening TCP or UDP sockets',
        'caller proven by certificate: github-action',
        'ZH_WEBHOOK_REPLAYED',
        'ZH_WEBHOOK_SIGNATURE_INVALID',
        'ZH_SDK_NO_GRANT',
        'All 13 checks held',
      ]) {
        expect(r.stdout).toContain(shown)
      }
      expect(processesMentioning(join(dir, 'net'))).toEqual([])
      // The secret is in a 0600 file for the user, never on screen.
      const secret = readFileSync(join(dir, 'net', 'webhook-secret'), 'utf8').trim()
      expect(secret).toMatch(/^whsec_/)
      expect(r.stdout).not.toContain(secret)
    } finally {
      await cleanup()
    }
  })

  it('with --keep stays up for the user, then stops everything on SIGTERM', async () => {
    const { dir, cleanup } = await tempDir('zh-qs-keep-')
    const net = join(dir, 'net')
    try {
      const qs = startDaemon(['quickstart', '--dir', net, '--keep'])
      await qs.waitFor((l) => typeof l.text === 'string' && l.text.includes('press Ctrl-C'), 60_000)
      const { identities } = await cliJson<{ identities: { name: string }[] }>([
        'identity',
        'list',
        '--dir',
        net,
      ])
      // github-action was deleted by the revocation step; the admin is an identity too.
      expect(identities.map((i) => i.name).sort()).toEqual(['admin', 'jenkins', 'stranger'])
      expect(processesMentioning(net).length).toBeGreaterThanOrEqual(3)
      expect(await qs.stop()).toBe(0)
      expect(processesMentioning(net)).toEqual([])
    } finally {
      await cleanup()
    }
  })

  it('fails with a code, and still cleans up, when a step cannot be done', async () => {
    const { dir, cleanup } = await tempDir('zh-qs-fail-')
    try {
      // A network already exists there: creating it again must fail, not overwrite keys.
      expect((await runCli(['controller', 'init', '--dir', join(dir, 'net')])).code).toBe(0)
      const r = await runCli(['quickstart', '--dir', join(dir, 'net')])
      expect(r.code).toBe(1)
      expect(r.stdout).toContain('FAILED')
      expect(r.stderr).toMatch(/^ZH_QUICKSTART_CHECK_FAILED: /)
      expect(processesMentioning(join(dir, 'net'))).toEqual([])
    } finally {
      await cleanup()
    }
  })
})
