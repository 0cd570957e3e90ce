import { subscribe } from 'node:diagnostics_channel'
import { mkdtemp, rm } from 'node:fs/promises'
import https from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect } from '../src/sdk/context.js'
import { fileGrantCache } from '../src/sdk/grant-cache.js'
import type { IdentityFile } from '../src/sdk/identity-file.js'
import { lazyPino } from '../src/sdk/log.js'
import { phases, type Phase } from '../src/sdk/phases.js'
import { deliverWebhook } from '../src/sdk/webhook-delivery.js'
import { onChildStart, startChild } from './child-process.js'
import { median } from './report.js'

interface Start {
  identity: IdentityFile
  /** The receiver's direct HTTPS URL. */
  url: string
  ca: string
  runs: number
}

/** Medians, ms. */
interface Result {
  overlay: number
  direct: number
  ratio: number
  warm: number
  /** The first webhook with the grants of an earlier run in a grant cache (a Lambda's /tmp). */
  cached: number
  /** Where the first webhook's time went: each connect and dial step, and the request after. */
  phases: Record<string, number>
}

/**
 * The Lambda case in a process of its own (the bench process runs the controller): with the
 * modules loaded, a fresh context from the identity file's contents (no cached TLS contexts or
 * grants) up to the first webhook delivered, against one HTTPS POST on a new connection to the
 * same app, alternating.
 */
export async function startFirstWebhookChild(start: Start): Promise<Result> {
  const child = await startChild<Result>(import.meta.url, start, 'bench first webhook')
  await child.stop()
  return child.ready
}

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw'
const log = lazyPino((pino) => pino({ level: 'silent' }))

function directPost(url: string, ca: string, body: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: 'POST', ca, agent: false }, (res) => {
      res.resume()
      res.on('end', resolve)
    })
    req.on('error', reject)
    req.end(body)
  })
}

async function runChild(start: Start): Promise<void> {
  const body = JSON.stringify({ build: 42 })
  const send = (zh: Awaited<ReturnType<typeof connect>>) =>
    deliverWebhook(zh, { service: 'bench', path: '/hook', secret: SECRET, type: 't', retries: 0 })
  const lanes = {
    overlay: [] as number[],
    direct: [] as number[],
    warm: [] as number[],
    cached: [] as number[],
  }
  const cacheDir = await mkdtemp(join(tmpdir(), 'zh-bench-first-'))
  const grantCache = fileGrantCache(join(cacheDir, 'grants'))
  const steps: Record<string, number[]> = {}
  let run: Phase[] = []
  subscribe(phases.name, (p) => run.push(p as Phase))
  for (let i = -3; i < start.runs; i++) {
    run = []
    let t = performance.now()
    // A copy: the SDK caches TLS contexts per identity object, a new process has none.
    const fresh = () => JSON.parse(JSON.stringify(start.identity)) as IdentityFile
    const zh = await connect(fresh(), { log })
    await send(zh)
    const overlay = performance.now() - t
    const first = run
    run = []
    t = performance.now()
    await send(zh)
    const warm = performance.now() - t
    await zh.close()
    t = performance.now()
    await directPost(start.url, start.ca, body)
    const direct = performance.now() - t
    // The warm-up rounds fill the cache.
    t = performance.now()
    const fromCache = await connect(fresh(), { log, grantCache })
    await send(fromCache)
    const cached = performance.now() - t
    await fromCache.close()
    if (i < 0) continue // warm-up rounds
    lanes.cached.push(cached)
    lanes.overlay.push(overlay)
    lanes.warm.push(warm)
    lanes.direct.push(direct)
    let accounted = 0
    for (const p of first) {
      ;(steps[p.name] ??= []).push(p.ms)
      accounted += p.ms
    }
    ;(steps['request, after the e2e handshake'] ??= []).push(overlay - accounted)
  }
  const result: Result = {
    overlay: median(lanes.overlay),
    direct: median(lanes.direct),
    ratio: median(lanes.overlay) / median(lanes.direct),
    warm: median(lanes.warm),
    cached: median(lanes.cached),
    phases: Object.fromEntries(Object.entries(steps).map(([k, v]) => [k, median(v)])),
  }
  await rm(cacheDir, { recursive: true, force: true })
  process.send!(result)
  process.once('SIGTERM', () => process.exit(0))
}

onChildStart(runChild)
