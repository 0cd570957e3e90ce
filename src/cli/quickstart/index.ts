import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Command } from 'commander'
import { ZhError, isZhError } from '../../errors.js'
import type { Zerohook } from '../../sdk/context.js'
import { untilSignal } from '../signals.js'
import { QuickstartNetwork } from './network.js'
import { quickstartFiles, quickstartSteps } from './steps.js'

const say = (text = '') => process.stdout.write(`${text}\n`)

/**
 * `zerohook quickstart [--dir DIR] [--keep]`: the whole story on one machine, in seconds. A
 * controller, a router and a dark receiver run as child processes; a signed webhook crosses the
 * overlay; replay, tampering, a stranger and a revoked sender are each refused. Exits 0 only
 * when every check held, and leaves no process behind.
 */
export function quickstartCommand(program: Command): void {
  program
    .command('quickstart')
    .description(
      'Run a whole zerohook network on this machine and show, check by check, that it keeps a webhook receiver dark and safe',
    )
    .option(
      '--dir <dir>',
      'directory for the network (default: a temporary one, removed at the end)',
    )
    .option('--keep', 'keep the network running (until Ctrl-C) to try the commands yourself')
    .action(async (opts: { dir?: string; keep?: boolean }) => {
      const dir = opts.dir ?? (await mkdtemp(join(tmpdir(), 'zerohook-quickstart-')))
      const net = new QuickstartNetwork(dir)
      const contexts: Zerohook[] = []
      const started = performance.now()
      try {
        say(`zerohook quickstart: a GitHub-style webhook reaching a Jenkins that opens no port\n`)
        const steps = quickstartSteps(net, contexts)
        for (const [i, step] of steps.entries()) {
          process.stdout.write(`[${String(i + 1).padStart(2)}/${steps.length}] ${step.title} ... `)
          try {
            say(`ok\n        ${await step.run()}`)
          } catch (err) {
            say(`FAILED\n        ${isZhError(err) ? `${err.code}: ${err.message}` : String(err)}`)
            throw new ZhError('ZH_QUICKSTART_CHECK_FAILED', `step ${i + 1} (see above)`)
          }
        }
        await Promise.all(contexts.splice(0).map((zh) => zh.close()))
        const seconds = ((performance.now() - started) / 1000).toFixed(1)
        say(`\nAll ${steps.length} checks held in ${seconds} s.`)
        summary(dir, opts)
        if (opts.keep) {
          say(`\nThe network keeps running (controller ${net.url}); press Ctrl-C to stop it.`)
          await untilSignal()
        }
      } finally {
        await Promise.all(contexts.map((zh) => zh.close().catch(() => undefined)))
        await net.stop()
        if (!opts.dir) await rm(dir, { recursive: true, force: true })
      }
    })
}

function summary(dir: string, opts: { dir?: string; keep?: boolean }): void {
  say(`
What held:
  layer 3  the receiver is dark (no listening socket); only identities a policy allows get a
           circuit; routers relay end-to-end TLS they cannot read; deleting an identity cuts it off
  layer 7  every webhook is signed, time-stamped and checked once: replay and tampering are refused`)
  const kept = opts.keep && opts.dir !== undefined
  const d = kept ? dir : 'DIR'
  const f = quickstartFiles(d)
  say(
    kept
      ? '\nTry next (in another terminal):'
      : '\nTo keep a network and try it yourself: npx zerohook quickstart --dir DIR --keep, then:',
  )
  say(`  npx zerohook identity list --dir ${d}`)
  say(`  npx zerohook identity create ci --attr senders --out ${d}/ci.jwt --dir ${d}`)
  say(`  npx zerohook enroll ${d}/ci.jwt --out ${d}/ci.json`)
  say(
    `  ZEROHOOK_WEBHOOK_SECRET=$(cat ${f.secret}) npx zerohook send --identity ${d}/ci.json --service jenkins-webhook --path /github-webhook/ --type push --data '{"hello":"jenkins"}'`,
  )
  say(`  npx zerohook policy list --dir ${d}`)
}
