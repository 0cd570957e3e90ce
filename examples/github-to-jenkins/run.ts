/**
 * GitHub → a dark Jenkins, end to end on loopback: a controller and a router, a Jenkins
 * stand-in bound to 127.0.0.1 behind `zerohook tunnel host`, then a push event delivered by
 * `zerohook send --scheme github` and by the GitHub Action's bundled entry point, each checked
 * by the tunnel and by Jenkins's own X-Hub-Signature-256 check; last, forged deliveries refused.
 *
 * Usage (from the repository root): npm run build && node --import tsx examples/github-to-jenkins/run.ts [--keep]
 * Progress goes to stderr; a JSON summary to stdout. Exit 0 when every check passed.
 */
import { randomBytes } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { run, start, type Proc } from './processes.js'

const here = import.meta.dirname
const root = resolve(here, '../..')
const CLI = join(root, 'dist/cli/main.js')
const ACTION = join(root, 'action/dist/index.js')
const SERVICE = 'jenkins-webhook'
const EVENT = join(here, 'push.json')

const say = (text: string) => process.stderr.write(`==> ${text}\n`)
const procs: Proc[] = []
const keep = process.argv.includes('--keep')
let workDir: string | undefined

async function zerohook(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = await run([CLI, ...args], env, root)
  if (r.code !== 0) throw new Error(`zerohook ${args.slice(0, 2).join(' ')}: ${r.stderr.trim()}`)
  return r
}

/** `zerohook send` of the push event, signed the GitHub way. */
function sendPush(identity: string, retries: number): string[] {
  const target = ['--service', SERVICE, '--path', '/github-webhook/']
  const event = ['--scheme', 'github', '--type', 'push', '--file', EVENT]
  return ['send', '--identity', identity, ...target, ...event, '--retries', String(retries)]
}

function background(name: string, argv: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const proc = start(name, argv, env, root)
  procs.push(proc)
  return proc
}

/** Controller, router, a service for Jenkins, and who may dial and host it. */
async function network(dir: string) {
  const ctl = join(dir, 'controller')
  say('controller and router on 127.0.0.1 (ports picked by the OS)')
  await zerohook(['controller', 'init', '--dir', ctl, '--listen', '127.0.0.1:0'])
  const controller = background('controller', [CLI, 'controller', 'run', '--dir', ctl])
  await controller.waitFor((l) => l.msg === 'controller listening')
  const admin = (...args: string[]) => zerohook([...args, '--dir', ctl, '--json'])
  await admin('router', 'create', 'router-1', '--out', join(dir, 'router-1.jwt'))
  const router = background('router', [
    CLI,
    'router',
    'run',
    '--dir',
    join(dir, 'router-1'),
    '--enroll',
    join(dir, 'router-1.jwt'),
    '--listen',
    '127.0.0.1:0',
  ])
  await router.waitFor((l) => l.msg === 'control channel up')

  say(`service ${SERVICE}: GitHub's identity may dial it, the Jenkins tunnel may host it`)
  await admin('service', 'create', SERVICE, '--attr', 'jenkins')
  await admin(
    'policy',
    'create',
    'github-dials-jenkins',
    '--type',
    'dial',
    '--identities',
    '#github',
    '--services',
    '#jenkins',
  )
  await admin(
    'policy',
    'create',
    'tunnel-hosts-jenkins',
    '--type',
    'bind',
    '--identities',
    '#jenkins-host',
    '--services',
    '#jenkins',
  )
  const identity = async (name: string, attr: string) => {
    const token = join(dir, `${name}.jwt`)
    const file = join(dir, `${name}.json`)
    await admin('identity', 'create', name, '--attr', attr, '--out', token)
    await zerohook(['enroll', token, '--out', file])
    return file
  }
  return {
    tunnel: await identity('jenkins-tunnel', 'jenkins-host'),
    github: await identity('github-actions', 'github'),
  }
}

/** Jenkins on loopback, and the tunnel that hosts it on the overlay (no inbound port). */
async function darkJenkins(tunnelIdentity: string, secret: string) {
  const jenkins = background('jenkins', ['--import', 'tsx', join(here, 'jenkins.ts'), '0'], {
    JENKINS_WEBHOOK_SECRET: secret,
  })
  const { port } = await jenkins.waitFor((l) => l.event === 'listening')
  const to = `http://127.0.0.1:${String(port)}`
  say(`Jenkins listens on ${to} only; zerohook tunnel host hosts it as ${SERVICE}`)
  // The tunnel checks the signature too (and remembers delivery ids) before anything reaches
  // Jenkins; the secret comes from the environment, not the command line.
  const tunnel = background(
    'tunnel',
    [
      CLI,
      'tunnel',
      'host',
      '--identity',
      tunnelIdentity,
      '--service',
      SERVICE,
      '--to',
      to,
      '--verify',
      'github',
    ],
    { ZEROHOOK_WEBHOOK_SECRET: secret },
  )
  await tunnel.waitFor((l) => l.msg === 'tunnel host ready')
  return { jenkins, tunnel, port: Number(port) }
}

/** The bundled action, run as a GitHub runner runs it. */
async function runAction(dir: string, identity: string, secret: string) {
  const output = join(dir, 'github-output.txt')
  await writeFile(output, '')
  const r = await run(
    [ACTION],
    {
      INPUT_IDENTITY: await readFile(identity, 'utf8'),
      INPUT_SERVICE: SERVICE,
      INPUT_PATH: '/github-webhook/',
      'INPUT_WEBHOOK-SECRET': secret,
      INPUT_SCHEME: 'github',
      'INPUT_EVENT-TYPE': 'push',
      INPUT_RETRIES: '6',
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: EVENT,
      GITHUB_OUTPUT: output,
      GITHUB_REPOSITORY: 'acme/app',
      GITHUB_SHA: '0d1a26e67d8f5eaf1f6ba5c57fc3c7d91ac0fd1c',
      GITHUB_RUN_ID: '1',
      GITHUB_WORKFLOW: 'notify-jenkins',
    },
    dir,
  )
  if (r.code !== 0) throw new Error(`the action failed: ${r.stdout}${r.stderr}`)
  const id = /^delivery-id<<(\S+)\n(.*)\n\1$/m.exec(await readFile(output, 'utf8'))?.[2]
  if (!id) throw new Error('the action set no delivery-id output')
  return id
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'zh-github-to-jenkins-'))
  workDir = dir
  const secret = randomBytes(24).toString('base64url') // the GitHub hook secret Jenkins checks
  try {
    const ids = await network(dir)
    const { jenkins, tunnel, port } = await darkJenkins(ids.tunnel, secret)
    const accepted = (id: string) =>
      jenkins.waitFor((l) => l.event === 'accepted' && l.delivery === id, 60_000)

    say('zerohook send --scheme github: the push event, signed like github.com signs it')
    const sent = await zerohook([...sendPush(ids.github, 6), '--json'], {
      ZEROHOOK_WEBHOOK_SECRET: secret,
    })
    const viaSend = JSON.parse(sent.stdout) as { id: string; status: number; attempts: number }
    const bySend = await accepted(viaSend.id)

    say('the GitHub Action (action/dist/index.js), as a runner runs it')
    const byAction = await accepted(await runAction(dir, ids.github, secret))

    say('a delivery signed with the wrong secret: the tunnel refuses it, Jenkins never sees it')
    const before = jenkins.lines.length
    const forged = await run(
      [CLI, ...sendPush(ids.github, 0)],
      { ZEROHOOK_WEBHOOK_SECRET: 'not-the-secret' },
      root,
    )
    if (forged.code !== 1 || !/^ZH_SEND_REJECTED: .*HTTP 401/m.test(forged.stderr))
      throw new Error(`the forged delivery was not refused: ${forged.stderr}`)
    await tunnel.waitFor((l) => l.code === 'ZH_WEBHOOK_SIGNATURE_INVALID')
    if (jenkins.lines.length !== before) throw new Error('the forged delivery reached Jenkins')

    say("and a forged request from the Jenkins host itself: Jenkins's own check refuses it")
    const local = await fetch(`http://127.0.0.1:${port}/github-webhook/`, {
      method: 'POST',
      headers: { 'x-hub-signature-256': `sha256=${'0'.repeat(64)}`, 'x-github-event': 'push' },
      body: await readFile(EVENT),
    })
    await jenkins.waitFor((l) => l.event === 'rejected')

    const summary = {
      ok: true,
      send: { ...viaSend, jenkins: bySend },
      action: { jenkins: byAction },
      forged: { overlay: 'refused by the tunnel: HTTP 401, send exited 1', local: local.status },
      ...(keep ? { dir } : {}),
    }
    process.stdout.write(`${JSON.stringify(summary)}\n`)
    say('done: both deliveries verified by the tunnel and Jenkins, the forged ones refused')
  } finally {
    await Promise.all(procs.map((p) => p.stop()))
    if (!keep) await rm(dir, { recursive: true, force: true })
  }
}

// Ctrl-C stops the network too, rather than leaving a controller and a router behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.all(procs.map((p) => p.stop()))
      .then(() => (workDir && !keep ? rm(workDir, { recursive: true, force: true }) : undefined))
      .then(() => process.exit(130))
  })
}

main().catch((err: unknown) => {
  process.stderr.write(`FAILED: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
})
