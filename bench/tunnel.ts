import { spawn } from 'node:child_process'
import http from 'node:http'
import { mkdtemp, open, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { Agent, request, type Dispatcher } from 'undici'
import { initController } from '../src/controller/init.js'
import { createIdentity } from '../src/controller/ops/identities.js'
import { createServicePolicy } from '../src/controller/ops/policies.js'
import { createRouter } from '../src/controller/ops/routers.js'
import { createService } from '../src/controller/ops/services.js'
import { runController } from '../src/controller/run.js'
import { issueKeyAndCertificate } from '../src/pki/issue.js'
import { principalUri } from '../src/pki/uri.js'
import { connect } from '../src/sdk/context.js'
import { enrollWithToken } from '../src/sdk/enroll.js'
import { saveIdentity } from '../src/sdk/identity-file.js'
import { CLI } from '../test/helpers/cli.js'
import { processCpuMs } from './cpu.js'
import { startReceiverProcess } from './receiver-process.js'
import { percentile, report } from './report.js'

// ZH_BENCH_TUNNEL_N=500 shortens the run (for profiling); the default is the reported figure.
const N = Number(process.env.ZH_BENCH_TUNNEL_N ?? 2000)
// ZH_BENCH_TUNNEL_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the tunnel processes.
const TUNNEL_NODE_ARGS = (process.env.ZH_BENCH_TUNNEL_NODE_ARGS ?? '').split(' ').filter(Boolean)
const BODY = Buffer.alloc(1024, 1)

/** A CLI process (router, tunnel) whose JSON log lines are read until it says it is ready. */
interface CliProcess {
  ready: Record<string, unknown>
  /** CPU time (user + system) it has used so far, ms. */
  cpuMs: () => Promise<number>
  stop: () => Promise<void>
}

/**
 * Starts `node ARGV` with its log (stdout) going to `log`, a file, as a service's log would: a
 * pipe read by this process would wake it at every log line, in the middle of the requests it
 * times. Resolves with the first JSON line `isReady` accepts.
 */
async function startCli(
  argv: string[],
  log: string,
  isReady: (line: Record<string, unknown>) => boolean,
): Promise<CliProcess> {
  const out = await open(log, 'w')
  const child = spawn(process.execPath, argv, { stdio: ['ignore', out.fd, 'pipe'] })
  await out.close()
  let stderr = ''
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()))
  let exited = false
  const exit = new Promise<void>((r) => child.once('exit', () => r()))
  void exit.then(() => (exited = true))
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exit
  }
  for (const started = Date.now(); Date.now() - started < 60_000;) {
    for (const text of (await readFile(log, 'utf8')).split('\n')) {
      let line: Record<string, unknown>
      try {
        line = JSON.parse(text) as Record<string, unknown>
      } catch {
        continue
      }
      if (isReady(line)) return { ready: line, stop, cpuMs: () => processCpuMs(child.pid!) }
    }
    if (exited) break
    await new Promise((r) => setTimeout(r, 50))
  }
  await stop()
  throw new Error(`${argv.slice(1, 4).join(' ')} did not get ready: ${stderr}`)
}

/** The unmodified app behind `tunnel host`: plain HTTP on loopback, in a process of its own. */
const APP = `
const http = require('node:http')
const server = http.createServer((req, res) => { req.resume(); req.on('end', () => res.end('ok')) })
server.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: server.address().port })))
`

/**
 * Alternates the lanes request by request, so whatever else the machine does hits all alike, in
 * a new order each round: what one request leaves for its processes to finish (a log line, a
 * closed connection) lands on whichever lane comes next, and a fixed order would charge it to
 * the same lane every time (a seeded shuffle, so runs are comparable).
 */
async function alternate<K extends string>(
  lanes: Record<K, () => Promise<void>>,
  n: number,
  warmup: number,
): Promise<Record<K, number[]>> {
  const names = Object.keys(lanes) as K[]
  const samples = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<K, number[]>
  const random = mulberry32(12)
  for (let i = 0; i < warmup + n; i++) {
    for (let j = names.length - 1; j > 0; j--) {
      const k = Math.floor(random() * (j + 1))
      ;[names[j], names[k]] = [names[k]!, names[j]!]
    }
    for (const name of names) {
      const t = performance.now()
      await lanes[name]()
      if (i >= warmup) samples[name].push(performance.now() - t)
    }
  }
  for (const name of names) samples[name].sort((a, b) => a - b)
  return samples
}

/** A small seeded PRNG (mulberry32), numbers in [0, 1). */
function mulberry32(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** A 1 KiB POST with undici (keep-alive: `dispatcher` pools the connection or circuit). */
const post = (url: string, dispatcher: Dispatcher) => async () => {
  const res = await request(url, { method: 'POST', body: BODY, dispatcher })
  await res.body.text()
}

/** A 1 KiB POST on a new TCP connection, closed after the answer: what curl does. */
const postFresh = (port: number) => () =>
  new Promise<void>((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, method: 'POST', path: '/hook', agent: false },
      (res) => {
        res.resume()
        res.on('end', resolve)
      },
    )
    req.on('error', reject)
    req.end(BODY)
  })

/**
 * The tunnel (issue 12, aim 4): warm 1 KiB POST p50/p99 through `tunnel host` (a CLI process in
 * front of a plain app in a process of its own) and through `tunnel intercept --http` (a CLI
 * process in front of an SDK-served app), against the overlay SDK sending straight to an
 * SDK-served app in a process of its own and against plain HTTP to the app (keep-alive, and a
 * connection per request), all alternating request by request in one pass, with the CPU each
 * process spent per request. A second pass compares intercept with a new client connection per
 * request, `--http` against raw (one dial per connection).
 */
export async function benchTunnel(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'zh-bench-tunnel-'))
  const stops: (() => Promise<unknown>)[] = []
  try {
    await initController({ dir, network: 'bench', listen: '127.0.0.1:0' })
    const c = await runController({ dir, log: pino({ level: 'silent' }) })
    stops.push(() => c.close())
    await createService(c.ctx, { name: 'bench-sdk', attributes: ['bench'] })
    await createService(c.ctx, { name: 'bench-tunnel', attributes: ['bench'] })
    const policy = (name: string, type: 'dial' | 'bind', role: string) =>
      createServicePolicy(c.ctx, {
        name,
        type,
        identityRoles: [role],
        serviceRoles: ['#bench'],
      })
    await policy('d', 'dial', '#senders')
    await policy('b', 'bind', '#receivers')
    const r = await createRouter(c.ctx, { name: 'r1' })
    await writeFile(join(dir, 'router.jwt'), r.enrollment.token)
    const router = await startCli(
      [
        CLI,
        'router',
        'run',
        '--dir',
        join(dir, 'router'),
        '--enroll',
        join(dir, 'router.jwt'),
        '--listen',
        '127.0.0.1:0',
      ],
      join(dir, 'router.log'),
      (l) => l.msg === 'control channel up',
    )
    stops.unshift(router.stop)
    const enroll = async (name: string, attr: string) => {
      const token = (await createIdentity(c.ctx, { name, attributes: [attr] })).enrollment.token
      const identity = await enrollWithToken(token)
      const file = join(dir, `${name}.json`)
      await saveIdentity(file, identity)
      return { identity, file }
    }
    const sender = await enroll('sender', 'senders')
    const receiver = await enroll('receiver', 'receivers')
    const tunnelHost = await enroll('tunnel-host', 'receivers')
    const direct = await issueKeyAndCertificate({
      ca: c.ctx.ca,
      commonName: 'direct',
      uri: principalUri('bench', 'identity', 'direct'),
      ipAddresses: ['127.0.0.1'],
    })

    const served = await startReceiverProcess({
      identity: receiver.identity,
      service: 'bench-sdk',
      direct: { serverCert: direct.certPem, serverKey: direct.keyPem },
    })
    stops.unshift(() => served.stop())
    const app = await startCli(['-e', APP], join(dir, 'app.log'), (l) => typeof l.port === 'number')
    stops.unshift(app.stop)
    const appPort = app.ready.port as number
    const host = await startCli(
      [
        ...TUNNEL_NODE_ARGS,
        CLI,
        'tunnel',
        'host',
        '--identity',
        tunnelHost.file,
        '--service',
        'bench-tunnel',
        '--to',
        `http://127.0.0.1:${appPort}`,
      ],
      join(dir, 'tunnel-host.log'),
      (l) => l.msg === 'tunnel host ready',
    )
    stops.unshift(host.stop)
    const intercept = async (...mode: string[]) => {
      const p = await startCli(
        [
          ...TUNNEL_NODE_ARGS,
          CLI,
          'tunnel',
          'intercept',
          '--identity',
          sender.file,
          '--service',
          'bench-sdk',
          '--listen',
          '127.0.0.1:0',
          ...mode,
        ],
        join(dir, `intercept${mode.join('')}.log`),
        (l) => l.msg === 'tunnel intercept listening',
      )
      stops.unshift(p.stop)
      return p
    }
    const interceptHttpProcess = await intercept('--http')
    const interceptHttp = interceptHttpProcess.ready.port as number
    const interceptRaw = (await intercept()).ready.port as number

    const zh = await connect(sender.identity, { log: pino({ level: 'silent' }) })
    stops.unshift(() => zh.close())
    const dispatcher = zh.dispatcher()
    const local = new Agent()
    stops.unshift(() => Promise.all([dispatcher.close(), local.close()]))

    const lanes = {
      direct: post(`http://127.0.0.1:${appPort}/hook`, local),
      directFresh: postFresh(appPort),
      sdk: post('http://bench-sdk/hook', dispatcher),
      host: post('http://bench-tunnel/hook', dispatcher),
      interceptKeepAlive: post(`http://127.0.0.1:${interceptHttp}/hook`, local),
      interceptFresh: postFresh(interceptHttp),
    }
    const receiverPid = await childPid('receiver-process')
    const sdkServed = { cpuMs: () => processCpuMs(receiverPid) }
    const counted = { host, intercept: interceptHttpProcess, app, router, sdkServed }
    const cpuBefore = await cpuOf(counted)
    const warm = await alternate(lanes, N, Math.ceil(N / 6))
    const cpuAfter = await cpuOf(counted)
    const requests = N + Math.ceil(N / 6)
    const perRequest = (k: keyof typeof counted, laneCount: number) =>
      (cpuAfter[k] - cpuBefore[k]) / (requests * laneCount)
    const fresh = await alternate(
      { http: postFresh(interceptHttp), raw: postFresh(interceptRaw) },
      Math.ceil(N / 10),
      20,
    )
    reportTunnel(warm, fresh)
    report('tunnel', 'CPU ms per request, tunnel host process', perRequest('host', 1))
    report(
      'tunnel',
      'CPU ms per request, tunnel intercept --http process',
      perRequest('intercept', 2),
    )
    report(
      'tunnel',
      'CPU ms per request, the SDK-served app (overlay SDK and both intercept lanes)',
      perRequest('sdkServed', 3),
    )
    report(
      'tunnel',
      'CPU ms per request, the plain app (both direct lanes and the tunnel host lane)',
      perRequest('app', 3),
    )
    report('tunnel', 'CPU ms per request, the router (four overlay lanes)', perRequest('router', 4))
  } finally {
    for (const stop of stops) await stop().catch(() => undefined)
    await rm(dir, { recursive: true, force: true })
  }
}

/** The pid of this process's child whose command line contains `match` (Linux /proc). */
async function childPid(match: string): Promise<number> {
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8')
      if (ppid === process.pid && cmdline.includes(match)) return Number(pid)
    } catch {
      // gone meanwhile
    }
  }
  return NaN
}

/** CPU ms used so far by each process. */
async function cpuOf<K extends string>(
  of: Record<K, { cpuMs: () => Promise<number> }>,
): Promise<Record<K, number>> {
  const entries = await Promise.all(
    Object.entries<{ cpuMs: () => Promise<number> }>(of).map(async ([k, p]) => [
      k,
      await p.cpuMs(),
    ]),
  )
  return Object.fromEntries(entries) as Record<K, number>
}

type WarmLane = 'direct' | 'directFresh' | 'sdk' | 'host' | 'interceptKeepAlive' | 'interceptFresh'

function reportTunnel(s: Record<WarmLane, number[]>, fresh: Record<'http' | 'raw', number[]>) {
  const p50 = (lane: number[]) => percentile(lane, 0.5)
  const lanes: [WarmLane, string][] = [
    ['direct', 'direct HTTP keep-alive to the app'],
    ['directFresh', 'direct HTTP, new connection per request, to the app'],
    ['sdk', 'overlay SDK to an SDK-served app (warm circuit)'],
    ['host', 'overlay SDK through tunnel host to the app (warm circuit)'],
    ['interceptKeepAlive', 'keep-alive client through tunnel intercept --http'],
    ['interceptFresh', 'new client connection per request through tunnel intercept --http'],
  ]
  for (const [lane, what] of lanes) {
    report('tunnel', `1 KiB POST p50 ms, ${what}`, p50(s[lane]))
    report('tunnel', `1 KiB POST p99 ms, ${what}`, percentile(s[lane], 0.99))
  }
  report('tunnel', 'p50 ratio tunnel host / overlay SDK (aim <= 1.5)', p50(s.host) / p50(s.sdk))
  report(
    'tunnel',
    'p50 ratio intercept --http, keep-alive client / overlay SDK (aim <= 1.5)',
    p50(s.interceptKeepAlive) / p50(s.sdk),
  )
  report(
    'tunnel',
    'p50 ratio intercept --http, new connection per request / overlay SDK (aim <= 1.5)',
    p50(s.interceptFresh) / p50(s.sdk),
  )
  report('tunnel', 'p50 ratio overlay SDK / direct HTTP', p50(s.sdk) / p50(s.direct))
  // A tunnel adds a whole HTTP round trip with another process (the app behind a tunnel host,
  // the client of an intercept) to the overlay's: the ratio a tunnel costing nothing would get.
  report(
    'tunnel',
    'p50 ratio (overlay SDK + direct HTTP) / overlay SDK: floor of host and keep-alive intercept',
    (p50(s.sdk) + p50(s.direct)) / p50(s.sdk),
  )
  report(
    'tunnel',
    'p50 ratio (overlay SDK + direct HTTP new connection) / overlay SDK: floor of fresh intercept',
    (p50(s.sdk) + p50(s.directFresh)) / p50(s.sdk),
  )
  report('tunnel', 'p50 ratio tunnel host / direct HTTP', p50(s.host) / p50(s.direct))
  const where = 'new client connection per request'
  report('tunnel', `1 KiB POST p50 ms, intercept --http, ${where}`, p50(fresh.http))
  report(
    'tunnel',
    `1 KiB POST p50 ms, intercept raw (a dial per connection), ${where}`,
    p50(fresh.raw),
  )
  report('tunnel', `p50 ratio intercept raw / --http, ${where}`, p50(fresh.raw) / p50(fresh.http))
}
