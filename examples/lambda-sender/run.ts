/**
 * The Lambda sender end to end on loopback: a controller, a router and a dark receiver that
 * verifies every signature, then handler.ts bundled as for a deploy and run by a simulated
 * Lambda (lambda.ts, runtime.ts): a fresh Node process per execution environment, frozen
 * between events. Measured: a first container's cold start (no grant cache) and warm
 * invocations, a second container's (grant cache present), with the SDK's phases. Checked: every
 * webhook arrived verified, once; one connect per container; a Lambda retry (same request id)
 * deduplicated; a send after the router restarted under a frozen container, and after the
 * container stayed frozen past the router's keepalive; a wrong secret refused with a clear code
 * and no secret in the answer.
 *
 * Usage (from the repository root):
 *   npm run build && node --import tsx examples/lambda-sender/run.ts [--keep] [--warm N] [--idle S]
 * (--warm: warm invocations per container, default 20; --idle: seconds frozen, default 45, 0: skip)
 * Progress goes to stderr; a JSON summary to stdout. Exit 0 when every check passed.
 */
import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { cpus, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build, type BuildOptions } from 'esbuild'
import { startContainer, type Container, type Invocation } from './lambda.js'
import { SERVICE, startNetwork, startReceiver, type Proc } from './network.js'

const here = import.meta.dirname
const root = resolve(here, '../..')
const say = (text: string) => process.stderr.write(`==> ${text}\n`)
const procs: Proc[] = []
const containers: Container[] = []
const keep = process.argv.includes('--keep')
const option = (name: string, fallback: number) => {
  const at = process.argv.indexOf(name)
  return at > 0 ? Number(process.argv[at + 1]) : fallback
}
const WARM = option('--warm', 20)
/**
 * Seconds the second container stays frozen before its last event: longer than a router waits
 * for an endpoint to answer its keepalive PING (10 s idle, then 20 s), so the link is dead by then.
 */
const IDLE_S = option('--idle', 45)
let workDir: string | undefined

/**
 * handler.ts as a deploy bundles it (no node_modules), and runtime.ts beside it. With splitting,
 * what only a certificate renewal loads (the CSR code, most of the bytes) is a chunk of its own
 * that a cold start never reads.
 */
async function bundle(taskDir: string): Promise<{ bytes: number; entryBytes: number }> {
  const common: BuildOptions = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    absWorkingDir: root,
    // Bundled CommonJS modules call require() for Node's built-ins; ESM has none, so make one.
    banner: {
      js: "import { createRequire as __zhRequire } from 'node:module'; const require = __zhRequire(import.meta.url);",
    },
  }
  const [fn] = await Promise.all([
    build({
      ...common,
      entryPoints: { index: join(here, 'handler.ts') },
      splitting: true,
      outdir: taskDir,
      outExtension: { '.js': '.mjs' },
    }),
    build({
      ...common,
      entryPoints: [join(here, 'runtime.ts')],
      outfile: join(taskDir, 'bootstrap.mjs'),
    }),
  ])
  const outputs = Object.entries(fn.metafile!.outputs)
  return {
    bytes: outputs.reduce((n, [, o]) => n + o.bytes, 0),
    entryBytes: outputs.find(([file]) => file.endsWith('/index.mjs'))?.[1].bytes ?? NaN,
  }
}

const round = (ms: number) => Math.round(ms * 10) / 10
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN)
}
const median = (values: number[]) => quantile(values, 0.5)

/** Phase ms by name (a phase seen twice is summed). */
function byName(phases: Invocation['phases']): Record<string, number> {
  const out: Record<string, number> = {}
  for (const p of phases) out[p.name] = round((out[p.name] ?? 0) + p.ms)
  return out
}

let orderNo = 1000
const order = () => ({ order: `ord_${++orderNo}`, amount: 1999, currency: 'EUR' })

/** A container's cold start (its first event is waiting when it starts), then `warm` more. */
async function coldAndWarm(c: Container, warm: number) {
  const cold = await c.invoke(order())
  const init = await c.init
  const runs: Invocation[] = []
  for (let i = 0; i < warm; i++) runs.push(await c.invoke(order()))
  const all = [cold, ...runs]
  const count = (name: string) =>
    all.reduce((n, inv) => n + inv.phases.filter((p) => p.name === name).length, 0)
  const warmPhase = (name: string) =>
    median(runs.map((r) => byName(r.phases)[name]).filter((ms): ms is number => ms !== undefined))
  return {
    invocations: all,
    figures: {
      cold: {
        totalMs: round(cold.doneAt - c.spawnedAt),
        initMs: round(init.ms),
        bootMs: round(init.bootMs),
        importMs: round(init.importMs),
        readyMs: round(init.readyMs),
        invokeMs: round(cold.ms),
        handlerMs: round(cold.handlerMs),
        phases: byName(cold.phases),
      },
      warm: {
        n: runs.length,
        p50Ms: median(runs.map((r) => r.ms)),
        p90Ms: quantile(
          runs.map((r) => r.ms),
          0.9,
        ),
        handlerP50Ms: median(runs.map((r) => r.handlerMs)),
        // Warm invocations that sent on the circuit of the one before (no dial at all).
        reusedCircuit: runs.filter((r) => !r.phases.some((p) => p.name === 'dial')).length,
        // Those that dialed: the receiver closed the idle circuit while the container was frozen.
        phasesP50: { dial: warmPhase('dial'), e2e: warmPhase('e2e') },
        // Anything but a dial and its handshake in a warm invocation would be a new connect.
        otherPhases: runs
          .flatMap((r) => r.phases.map((p) => p.name))
          .filter((n) => n !== 'dial' && n !== 'e2e'),
      },
      connects: count('grants') + count('grants-cached'),
      grantFetches: count('grants'),
      cachedGrants: count('grants-cached'),
    },
  }
}

/**
 * An event for a container that was frozen while something happened to its link: its answer,
 * and what the SDK and the handler logged meanwhile (the link going down and up, each retry).
 */
async function thaw(c: Container) {
  const before = c.lines.length
  const inv = await c.invoke(order())
  const body = delivered(inv)
  const sdk = c.lines
    .slice(before)
    .filter((l) => typeof l.msg === 'string')
    .map((l) => (typeof l.error === 'string' ? `${String(l.msg)}: ${l.error}` : String(l.msg)))
  return {
    body,
    figures: {
      statusCode: inv.result.statusCode,
      attempts: body.attempts,
      ms: round(inv.ms),
      phases: byName(inv.phases),
      sdk,
    },
  }
}

/** The body of a delivered invocation's answer. */
interface Delivered {
  delivered: true
  id: string
  status: number
  attempts: number
  duplicate: boolean
}

function delivered(inv: Invocation): Delivered {
  const body = JSON.parse(inv.result.body) as Partial<Delivered>
  if (inv.result.statusCode !== 200 || !body.delivered)
    throw new Error(`invocation ${inv.requestId} was not delivered: ${inv.result.body}`)
  return body as Delivered
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'zh-lambda-sender-'))
  workDir = dir
  const secret = `whsec_${randomBytes(24).toString('base64')}`
  const net = await startNetwork(dir, procs, say)
  const receiver = await startReceiver(procs, net.receiverIdentity, secret)

  const taskDir = join(dir, 'task')
  const bundled = await bundle(taskDir)
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`
  say(`handler bundled: ${kib(bundled.bytes)}, ${kib(bundled.entryBytes)} of it loaded at start`)
  // The containers' /tmp. A real new execution environment starts with an empty one; the
  // second container is given the first one's, as an environment whose /tmp (or an EFS path in
  // ZEROHOOK_GRANT_CACHE) holds the cache.
  const lambdaTmp = join(dir, 'tmp')
  await mkdir(lambdaTmp, { mode: 0o700 })
  const env = {
    ZEROHOOK_IDENTITY: await readFile(net.lambdaIdentity, 'utf8'),
    ZEROHOOK_SERVICE: SERVICE,
    ZEROHOOK_PATH: '/orders',
    ZEROHOOK_EVENT_TYPE: 'order.created',
    ZEROHOOK_WEBHOOK_SECRET: secret,
    AWS_LAMBDA_LOG_LEVEL: 'INFO',
    TMPDIR: lambdaTmp,
  }
  const container = async (name: string, extra: Record<string, string> = {}) => {
    const c = await startContainer(name, taskDir, { ...env, ...extra })
    containers.push(c)
    return c
  }
  const ids: string[] = []

  say(`first container: a cold start with no grant cache, then ${WARM} warm invocations`)
  const first = await container('lambda-sender-1')
  const one = await coldAndWarm(first, WARM)
  ids.push(...one.invocations.map((inv) => delivered(inv).id))
  await first.stop()
  const cacheFile = join(lambdaTmp, 'zerohook.grants')
  const cacheMode = ((await stat(cacheFile)).mode & 0o777).toString(8)

  say('second container: a cold start with the grant cache present, then warm invocations')
  const second = await container('lambda-sender-2')
  const two = await coldAndWarm(second, WARM)
  ids.push(...two.invocations.map((inv) => delivered(inv).id))

  say('Lambda retries an event (same request id): the receiver answers "already delivered"')
  const retried = await second.invoke(order(), two.invocations[0]!.requestId)
  const retry = delivered(retried)

  say('the router restarts while the second container is frozen; then an event thaws it')
  await second.frozen()
  const router = await net.restartRouter()
  await router.waitFor((l) => l.msg === 'terminator bound', 60_000) // the receiver is back
  const afterRestart = await thaw(second)
  const nextWarm = await second.invoke(order())
  ids.push(afterRestart.body.id, delivered(nextWarm).id)

  let afterIdle: Awaited<ReturnType<typeof thaw>> | undefined
  if (IDLE_S > 0) {
    say(`the second container stays frozen ${IDLE_S} s, past the router's keepalive; then an event`)
    await new Promise((done) => setTimeout(done, IDLE_S * 1000))
    afterIdle = await thaw(second)
    ids.push(afterIdle.body.id)
  }

  say('a container with the wrong secret: refused by the receiver, a clear code, no secret echoed')
  const wrongSecret = `whsec_${randomBytes(24).toString('base64')}`
  const third = await container('lambda-sender-wrong-secret', {
    ZEROHOOK_WEBHOOK_SECRET: wrongSecret,
  })
  const forged = await third.invoke(order())
  await third.stop()
  const refusal = JSON.parse(forged.result.body) as {
    error?: { code: string; message: string }
    receiver?: { status: number; code?: string }
  }
  if (forged.result.statusCode !== 502 || refusal.error?.code !== 'ZH_SEND_REJECTED')
    throw new Error(`the wrong secret was not refused as expected: ${forged.result.body}`)
  const refused = await receiver.waitFor(
    (l) => l.event === 'refused' && l.code === 'ZH_WEBHOOK_SIGNATURE_INVALID',
  )
  const echoed = [secret, wrongSecret].some((s) => forged.result.body.includes(s))
  if (echoed) throw new Error('the answer holds a secret')

  say('every delivery arrived verified, exactly once')
  for (const id of ids) await receiver.waitFor((l) => l.event === 'webhook' && l.id === id)
  const webhooks = receiver.lines.filter((l) => l.event === 'webhook')
  if (webhooks.length !== ids.length || new Set(ids).size !== ids.length)
    throw new Error(`${ids.length} deliveries, ${webhooks.length} webhooks at the receiver`)
  if (!retry.duplicate || retry.id !== delivered(two.invocations[0]!).id)
    throw new Error(`the retried event was not deduplicated: ${retried.result.body}`)
  for (const [name, r] of [
    ['first', one],
    ['second', two],
  ] as const) {
    if (r.figures.connects !== 1 || r.figures.warm.otherPhases.length > 0)
      throw new Error(`${name} container connected ${r.figures.connects} times`)
  }
  if (
    one.figures.grantFetches !== 1 ||
    two.figures.cachedGrants !== 1 ||
    two.figures.grantFetches !== 0
  )
    throw new Error('the second container did not start from the grant cache')

  const summary = {
    ok: true,
    machine: { network: 'loopback', cpus: cpus().length, node: process.version },
    bundle: bundled,
    grantCache: { file: 'TMPDIR/zerohook.grants', mode: cacheMode },
    first: one.figures,
    second: two.figures,
    lambdaRetry: {
      requestId: retried.requestId,
      id: retry.id,
      duplicate: retry.duplicate,
      copiesAtReceiver: webhooks.filter((w) => w.id === retry.id).length,
    },
    routerRestart: { ...afterRestart.figures, nextWarmMs: round(nextWarm.ms) },
    ...(afterIdle ? { idleThaw: { frozenS: IDLE_S, ...afterIdle.figures } } : {}),
    wrongSecret: {
      statusCode: forged.result.statusCode,
      code: refusal.error?.code,
      receiver: refusal.receiver,
      receiverLogged: refused.code,
      secretInAnswer: echoed,
    },
    deliveries: { sent: ids.length, verified: webhooks.length },
    ...(keep ? { dir } : {}),
  }
  process.stdout.write(`${JSON.stringify(summary)}\n`)
  for (const [name, r] of [
    ['first (no cache)', one.figures],
    ['second (cache)', two.figures],
  ] as const) {
    const c = r.cold
    const w = r.warm
    const dialed = w.n - w.reusedCircuit
    const dials =
      dialed > 0 ? `; ${dialed} dialed: dial ${w.phasesP50.dial}, e2e ${w.phasesP50.e2e}` : ''
    say(
      `${name}: cold ${c.totalMs} ms (init ${c.initMs}: node ${c.bootMs} + import ${c.importMs}; handler ${c.handlerMs}: ${JSON.stringify(c.phases)}), warm p50 ${w.p50Ms} ms (${w.reusedCircuit} of ${w.n} on the circuit of the last${dials})`,
    )
  }
  const thawed = (name: string, t: typeof afterRestart) =>
    say(
      `${name}: ${t.figures.ms} ms in ${t.figures.attempts} attempt(s): ${t.figures.sdk.join(', ')}`,
    )
  thawed('after the router restart', afterRestart)
  if (afterIdle) thawed(`after ${IDLE_S} s frozen`, afterIdle)
  say('done: every webhook verified at the receiver')
}

async function cleanup(): Promise<void> {
  await Promise.all(containers.map((c) => c.stop()))
  await Promise.all(procs.map((p) => p.stop()))
  if (workDir && !keep) await rm(workDir, { recursive: true, force: true })
}

// Ctrl-C stops the network too, rather than leaving a controller and a router behind.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void cleanup().then(() => process.exit(130)))
}

try {
  await main()
} catch (err) {
  process.stderr.write(`FAILED: ${err instanceof Error ? err.message : String(err)}\n`)
  process.exitCode = 1
} finally {
  await cleanup()
}
