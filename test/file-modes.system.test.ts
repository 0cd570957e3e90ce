import { chmodSync, readdirSync, statSync } from 'node:fs'
import { chmod, mkdir } from 'node:fs/promises'
import { join, relative } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openForwardQueue } from '../src/gateway/queue.js'
import { createSqliteReplayStore } from '../src/webhooks/replay/sqlite.js'
import { createSender } from '../src/webhooks/sender/sender.js'
import { runCli, startDaemon, stopAllDaemons } from './helpers/cli.js'
import { startNetwork, type TestNetwork } from './helpers/network.js'

/** Every file below `dir` with a mode that lets group or others in, as `path mode`. */
function openToOthers(dir: string): string[] {
  const found: string[] = []
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name)
      const mode = statSync(path).mode & 0o777
      if ((mode & 0o077) !== 0) found.push(`${relative(dir, path)} 0${mode.toString(8)}`)
      if (entry.isDirectory()) walk(path)
    }
  }
  walk(dir)
  return found
}

/**
 * Issue 16, item 2: with the usual umask (022), nothing the controller, a router, an enrolled
 * identity, the sender's outbox, a replay store or the gateway's queue writes can be read by
 * another user; a store file widened later is narrowed at the next start with a warning, and a
 * state folder others may enter is refused with ZH_CONFIG_FILE_MODE.
 */
describe(
  'file modes of everything zerohook writes (real processes, umask 022)',
  { timeout: 120_000 },
  () => {
    let net: TestNetwork
    let umask: number

    beforeAll(async () => {
      umask = process.umask(0o022) // the children inherit it
      net = await startNetwork(1)
      await net.identity('sender', ['senders'])
      const state = join(net.dir, 'state')
      await mkdir(state, { mode: 0o700 })
      const sender = createSender({
        store: join(state, 'outbox.db'),
        signing: { secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' },
      })
      await sender.close()
      const replay = createSqliteReplayStore({ database: join(state, 'replay.db') })
      await replay.checkAndRemember(
        'k',
        Math.floor(Date.now() / 1000) + 60,
        Math.floor(Date.now() / 1000),
      )
      await replay.close()
      openForwardQueue(join(state, 'gateway.db')).close()
    })

    afterAll(async () => {
      process.umask(umask)
      await stopAllDaemons()
      await net?.cleanup()
    })

    it('writes every file 0600 and every folder 0700', () => {
      expect(openToOthers(net.dir)).toEqual([])
    })

    it('narrows a widened store and certificate at the next start, with a warning', async () => {
      const ctl = join(net.dir, 'ctl')
      await net.controller.stop()
      chmodSync(join(ctl, 'zerohook.db'), 0o644)
      chmodSync(join(ctl, 'ca.pem'), 0o644)
      const controller = startDaemon(['controller', 'run', '--dir', ctl])
      let stderr = ''
      controller.child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
      await controller.waitFor((l) => l.msg === 'controller listening')
      expect(stderr).toContain('ZH_CONFIG_FILE_MODE')
      expect(stderr).toContain('zerohook.db')
      expect(openToOthers(net.dir)).toEqual([])
    })

    it('refuses a state folder others may enter, naming it', async () => {
      const shared = join(net.dir, 'shared-router')
      await mkdir(shared)
      await chmod(shared, 0o755)
      const r = await runCli(['router', 'run', '--dir', shared, '--listen', '127.0.0.1:0'])
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('ZH_CONFIG_FILE_MODE')
      expect(r.stderr).toContain(shared)
    })
  },
)
