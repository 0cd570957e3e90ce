import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { saveIdentity } from '../src/sdk/identity-file.js'
import { CLI } from '../test/helpers/cli.js'
import { startFirstWebhookChild } from './first-webhook.js'
import { startOverlayBed } from './overlay-bed.js'
import { startReceiverProcess } from './receiver-process.js'
import { median, report } from './report.js'

const RUNS = 15
const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'

/** Runs a command to completion; rejects unless it exits 0. Resolves its stderr and wall ms. */
function timedRun(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ ms: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(process.execPath, args, {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    })
    let stderr = ''
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = performance.now() - started
      if (code === 0) resolve({ ms, stderr })
      else reject(new Error(`${args.slice(0, 3).join(' ')} exited ${code}: ${stderr}`))
    })
  })
}

/** Runs each lane once per round, in turn, `RUNS` rounds: wall ms per lane. */
async function alternate<K extends string>(
  lanes: Record<K, () => Promise<{ ms: number }>>,
): Promise<Record<K, number[]>> {
  const names = Object.keys(lanes) as K[]
  const out = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>
  for (const name of names) await lanes[name]() // warm the OS page cache and the servers
  for (let i = 0; i < RUNS; i++) for (const name of names) out[name].push((await lanes[name]()).ms)
  return out
}

/**
 * The ephemeral sender (issue 12, aims 1 and 2): whole `zerohook send` processes against
 * `node` + `fetch` of the same POST straight to the app over HTTPS, both cold processes,
 * alternating; `zerohook --help` against `node -e 0`; where a send's time goes; and the first
 * webhook of a process (connect → delivered) against one direct HTTPS POST on a new connection.
 */
export async function benchCold(): Promise<void> {
  const bed = await startOverlayBed()
  const dir = await mkdtemp(join(tmpdir(), 'zh-bench-cold-'))
  const receiver = await startReceiverProcess({
    identity: bed.identities.receiver,
    service: 'bench',
    direct: { serverCert: bed.direct.serverCert, serverKey: bed.direct.serverKey },
  })
  try {
    const identity = join(dir, 'sender.json')
    await saveIdentity(identity, bed.identities.sender)
    const caFile = join(dir, 'ca.pem')
    await writeFile(caFile, bed.direct.ca)
    const url = `https://127.0.0.1:${receiver.httpsPort}/hook`
    const body = JSON.stringify({ build: 42 })
    const send = (...extra: string[]) => {
      const args = [CLI, 'send', '--identity', identity, '--service', 'bench', '--path', '/hook']
      return () =>
        timedRun([...args, '--data', body, '--secret', SECRET, '--retries', '0', ...extra])
    }
    const fetchScript = `fetch(${JSON.stringify(url)}, { method: 'POST', headers: { 'content-type': 'application/json' }, body: ${JSON.stringify(body)} }).then((r) => r.text())`
    const cold = await alternate({
      cached: send(),
      uncached: send('--no-grant-cache'),
      direct: () => timedRun(['-e', fetchScript], { NODE_EXTRA_CA_CERTS: caFile }),
    })
    const m = { cached: median(cold.cached), uncached: median(cold.uncached) }
    const direct = median(cold.direct)
    report('cold', 'zerohook send, whole process, grants cached, median ms', m.cached)
    report('cold', 'zerohook send, whole process, grants fetched, median ms', m.uncached)
    report('cold', 'node + fetch of the same POST direct over HTTPS, median ms', direct)
    report('cold', 'ratio send (cached grants) / node + fetch (aim <= 1.5)', m.cached / direct)
    report('cold', 'ratio send (fetched grants) / node + fetch', m.uncached / direct)

    const help = await alternate({
      help: () => timedRun([CLI, '--help']),
      node: () => timedRun(['-e', '0']),
    })
    report('cold', 'zerohook --help, median ms', median(help.help))
    report('cold', 'node -e 0, median ms', median(help.node))
    report('cold', 'ratio --help / node -e 0 (aim <= 1.2)', median(help.help) / median(help.node))

    await breakdown(send('--timing', '--json'), 'grants cached')
    await breakdown(send('--timing', '--json', '--no-grant-cache'), 'grants fetched')

    const first = await startFirstWebhookChild({
      identity: bed.identities.sender,
      url,
      ca: bed.direct.ca,
      runs: 40,
    })
    report('cold', 'first webhook in a process (connect -> delivered), median ms', first.overlay)
    report('cold', 'one HTTPS POST on a new connection, same process, median ms', first.direct)
    report('cold', 'ratio first webhook / new-connection POST (aim <= 4)', first.ratio)
    for (const [step, ms] of Object.entries(first.phases)) {
      report('cold', `first webhook: ${step}, median ms`, ms)
    }
    report('cold', 'next webhook on the same context (kept-alive circuit), median ms', first.warm)
    report(
      'cold',
      'first webhook, grants from a grant cache (a Lambda /tmp), median ms',
      first.cached,
    )
    report(
      'cold',
      'ratio first webhook with a grant cache / new-connection POST',
      first.cached / first.direct,
    )
  } finally {
    await receiver.stop()
    await bed.close()
    await rm(dir, { recursive: true, force: true })
  }
}

/** The medians of `send --timing` steps over `RUNS` runs. */
async function breakdown(run: () => Promise<{ stderr: string }>, label: string): Promise<void> {
  const steps = new Map<string, number[]>()
  const totals: number[] = []
  for (let i = 0; i < RUNS; i++) {
    const { stderr } = await run()
    const line = stderr.split('\n').find((l) => l.startsWith('{"timing"'))
    if (!line) throw new Error(`no timing line in: ${stderr}`)
    const { timing } = JSON.parse(line) as {
      timing: { steps: { name: string; ms: number }[]; totalMs: number }
    }
    for (const s of timing.steps) steps.set(s.name, [...(steps.get(s.name) ?? []), s.ms])
    totals.push(timing.totalMs)
  }
  for (const [name, values] of steps) {
    report('cold', `send --timing, ${label}: ${name}, median ms`, median(values))
  }
  report('cold', `send --timing, ${label}: whole process to exit, median ms`, median(totals))
}
