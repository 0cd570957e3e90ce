import { statSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { NetworkStatus } from '../src/controller/ops/status.js'
import { runCli, startDaemon, stopAllDaemons, type Daemon } from './helpers/cli.js'
import { startFixture, startNetwork, type TestNetwork } from './helpers/network.js'

/**
 * The fast-clock soak (issue 11): a whole network through many grant and certificate lifetimes,
 * with real processes. `ZH_SOAK_S=3600 npm run soak` runs it for an hour.
 */
const SOAK_S = Number(process.env.ZH_SOAK_S ?? 90)
const GRANT_TTL = 6
const CERT_TTL = 20
const PERIOD_MS = 200
const WARM_UP_MS = Math.min(30_000, (SOAK_S * 1000) / 4)
const SECRET = 'whsec_c29hay1zZWNyZXQtb2YtdGhpcnR5LXR3by1ieXRlcyE='
const SERVICES = ['svc-sdk', 'svc-tunnel'] as const

/** Resident memory of a process, KiB. */
async function rssKiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/^VmRSS:\s+(\d+)/m.exec(status)?.[1])
}

/** Bytes of a SQLite database with its WAL and shared-memory files. */
function dbBytes(path: string): number {
  let total = 0
  for (const suffix of ['', '-wal', '-shm']) {
    try {
      total += statSync(path + suffix).size
    } catch {
      // no WAL yet
    }
  }
  return total
}

interface Sample {
  rss: Record<string, number>
  files: Record<string, number>
  rows: Record<string, number>
}

describe(`soak: ${SOAK_S} s through many lifetimes (grant ${GRANT_TTL} s, certificate ${CERT_TTL} s)`, () => {
  let net: TestNetwork
  let app: Server
  const arrivals = new Map<string, number>()
  const daemons: Record<string, Daemon> = {}

  beforeAll(async () => {
    net = await startNetwork(0, {
      init: ['--grant-ttl', String(GRANT_TTL), '--cert-ttl', String(CERT_TTL)],
      run: ['--record-retention', '30'],
    })
    daemons.r1 = await net.addRouter('r1')
    daemons.r2 = await net.addRouter('r2')
    daemons.controller = net.controller
    for (const s of [...SERVICES, 'svc-idle'])
      await net.admin('service', 'create', s, '--attr', 'webhooks')
    await net.policy('send', 'dial', '#senders', '#webhooks')
    await net.policy('receive', 'bind', '#receivers', '#webhooks')
    // The SDK receivers use r1 only and the sender r2 only, so their webhooks cross the link.
    await net.admin('router-policy', 'delete', 'default')
    await net.admin(
      'router-policy',
      'create',
      'side-a',
      '--identities',
      '#side-a',
      '--routers',
      '@r1',
    )
    await net.admin(
      'router-policy',
      'create',
      'side-b',
      '--identities',
      '#side-b',
      '--routers',
      '@r2',
    )
    await net.admin(
      'router-policy',
      'create',
      'both',
      '--identities',
      '#tunnel',
      '--routers',
      '#all',
    )

    // The tunnel's app: a plain local HTTP server, as an unmodified Jenkins would be.
    app = createServer((req, res) => {
      const id = String(req.headers['webhook-id'])
      req.resume()
      req.on('end', () => {
        arrivals.set(`tunnel:${id}`, (arrivals.get(`tunnel:${id}`) ?? 0) + 1)
        res.writeHead(202).end()
      })
    })
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve))
    const appPort = (app.address() as AddressInfo).port

    const sdk = await net.identity('rx-sdk', ['receivers', 'side-a'])
    const idle = await net.identity('rx-idle', ['receivers', 'side-a'])
    const tunnel = await net.identity('rx-tunnel', ['receivers', 'tunnel'])
    const sender = await net.identity('tx', ['senders', 'side-b'])
    daemons.sdk = startFixture('webhook-receiver.ts', [sdk.file, 'svc-sdk', 'standard', SECRET])
    daemons.idle = startFixture('webhook-receiver.ts', [idle.file, 'svc-idle', 'standard', SECRET])
    daemons.tunnel = startDaemon(
      [
        'tunnel',
        'host',
        '--identity',
        tunnel.file,
        '--service',
        'svc-tunnel',
        '--to',
        `http://127.0.0.1:${appPort}`,
        '--verify',
        'standard',
        '--state',
        join(net.dir, 'tunnel-state'),
      ],
      { ZEROHOOK_WEBHOOK_SECRET: SECRET },
    )
    await daemons.sdk.waitFor((l) => l.event === 'ready')
    await daemons.idle.waitFor((l) => l.event === 'ready')
    await daemons.tunnel.waitFor((l) => l.msg === 'tunnel host ready')
    daemons.sender = startFixture(
      'soak-sender.ts',
      [sender.file, join(net.dir, 'outbox.db'), SECRET, String(PERIOD_MS), ...SERVICES],
      { stdin: true },
    )
    await daemons.sender.waitFor((l) => l.event === 'ready')
  }, 120_000)

  afterAll(async () => {
    await stopAllDaemons()
    await new Promise((resolve) => app?.close(resolve))
    await net?.cleanup()
  })

  const sample = async (): Promise<Sample> => {
    const ctlDb = join(net.dir, 'ctl', 'zerohook.db')
    const db = new Database(ctlDb, { readonly: true, fileMustExist: true })
    const count = (table: string) =>
      (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n
    const rows = {
      certificates: count('certificates'),
      enrollments: count('enrollments'),
      outbox: Object.values(
        (daemons.sender!.lines.filter((l) => l.event === 'outbox').at(-1)?.counts ?? {}) as Record<
          string,
          number
        >,
      ).reduce((a, b) => a + b, 0),
    }
    db.close()
    return {
      rss: {
        controller: await rssKiB(daemons.controller!.pid),
        r1: await rssKiB(daemons.r1!.pid),
        r2: await rssKiB(daemons.r2!.pid),
      },
      files: { controller: dbBytes(ctlDb), outbox: dbBytes(join(net.dir, 'outbox.db')) },
      rows,
    }
  }

  it(
    'delivers every webhook on its first or second attempt, exactly once, through every renewal',
    async () => {
      const started = Date.now()
      await sleep(WARM_UP_MS)
      const warm = await sample()
      await sleep(Math.max(0, SOAK_S * 1000 - (Date.now() - started)))

      // The idle receiver has not seen a webhook for the whole soak: it answers at once.
      const idleSent = Date.now()
      daemons.sender!.child.stdin!.write(`${JSON.stringify({ send: 'svc-idle' })}\n`)
      const idleDelivery = await daemons.sender!.waitFor(
        (l) => l.event === 'delivered' && l.service === 'svc-idle',
        10_000,
      )
      const idleMs = Date.now() - idleSent

      daemons.sender!.child.stdin!.write(`${JSON.stringify({ stop: true })}\n`)
      const done = await daemons.sender!.waitFor((l) => l.event === 'done', 60_000)
      const end = await sample()
      const status = JSON.parse(
        (await runCli(['status', '--json', '--dir', join(net.dir, 'ctl')])).stdout,
      ) as NetworkStatus

      const delivered = daemons.sender!.lines.filter((l) => l.event === 'delivered')
      const failedAttempts = daemons.sender!.lines.filter((l) => l.event === 'attempt-failed')
      const worst = Math.max(...delivered.map((l) => Number(l.ms)))
      const byAttempt = (n: number) => delivered.filter((l) => l.attempt === n).length
      for (const l of daemons.sdk!.lines.filter((x) => x.event === 'webhook'))
        arrivals.set(`sdk:${String(l.id)}`, (arrivals.get(`sdk:${String(l.id)}`) ?? 0) + 1)
      const processedTwice = [...arrivals].filter(([, n]) => n > 1).map(([id]) => id)
      const renewals = status.certificates
        .filter((c) => c.kind === 'router' || c.kind === 'endpoint')
        .map((c) => `${c.kind} ${c.name}: ${c.renewals}`)
      const warns = new Map<string, number>()
      for (const [name, d] of Object.entries(daemons))
        for (const l of d.lines.filter((x) => x.level === 40)) {
          const key = `${name}: ${JSON.stringify(l.msg)}${l.code ? ` (${JSON.stringify(l.code)})` : ''}`
          warns.set(key, (warns.get(key) ?? 0) + 1)
        }
      const linkDowns = [daemons.r1!, daemons.r2!].flatMap((d) =>
        d.lines
          .filter((l) => l.msg === 'router link down')
          .map((l) => (typeof l.code === 'string' ? l.code : 'drained')),
      )
      const grow = (k: keyof Sample, name: string) => `${name} ${warm[k][name]} -> ${end[k][name]}`
      console.log(
        [
          `soak ${SOAK_S} s: ${delivered.length} webhooks delivered ` +
            `(${byAttempt(1)} on the first attempt, ${byAttempt(2)} on the second, ` +
            `${delivered.length - byAttempt(1) - byAttempt(2)} later), ` +
            `${failedAttempts.length} failed attempts, worst delivery ${worst} ms`,
          `idle receiver answered after ${idleMs} ms (attempt ${String(idleDelivery.attempt)})`,
          `renewals: ${renewals.join(', ')}`,
          `RSS KiB (after warm-up -> end): ${Object.keys(end.rss)
            .map((n) => grow('rss', n))
            .join(', ')}`,
          `files bytes: ${Object.keys(end.files)
            .map((n) => grow('files', n))
            .join(', ')}`,
          `rows: ${Object.keys(end.rows)
            .map((n) => grow('rows', n))
            .join(', ')}`,
          `status warnings: ${status.warnings.length === 0 ? 'none' : status.warnings.join('; ')}`,
          `warn log lines: ${warns.size === 0 ? 'none' : [...warns].map(([k, n]) => `${k} x${n}`).join('; ')}`,
          ...Object.entries(daemons).flatMap(([name, d]) =>
            d.lines
              .filter((x) => x.level === 40)
              .slice(0, 3)
              .map((l) => `  ${name}: ${JSON.stringify(l)}`),
          ),
          `router links down: ${linkDowns.length} (${[...new Set(linkDowns)].join(', ') || 'none'})`,
        ].join('\n'),
      )

      // Nothing lost, nothing twice, nothing late.
      const expected = Math.floor((SOAK_S * 1000) / PERIOD_MS) * SERVICES.length
      expect(delivered.length).toBeGreaterThan(expected * 0.8)
      expect(done.counts).toMatchObject({ failed: 0, disabled: 0, pending: 0, 'in-flight': 0 })
      expect(daemons.sender!.lines.filter((l) => l.event === 'send-refused')).toEqual([])
      expect(delivered.filter((l) => Number(l.attempt) > 2)).toEqual([])
      expect(processedTwice).toEqual([])
      for (const service of SERVICES) {
        const ids = delivered.filter((l) => l.service === service).map((l) => String(l.id))
        const prefix = service === 'svc-sdk' ? 'sdk' : 'tunnel'
        expect(ids.filter((id) => !arrivals.has(`${prefix}:${id}`))).toEqual([])
      }
      expect(idleDelivery.attempt).toBe(1)
      expect(idleMs).toBeLessThan(2_000)

      // Every endpoint and router renewed at least three times, and nothing is overdue.
      const holders = status.certificates.filter(
        (c) => c.kind === 'router' || c.kind === 'endpoint',
      )
      expect(holders.map((c) => c.name).sort()).toEqual(
        ['r1', 'r2', 'rx-idle', 'rx-sdk', 'rx-tunnel', 'tx'].sort(),
      )
      for (const c of holders) expect(c.renewals, c.name).toBeGreaterThanOrEqual(3)
      expect(status.warnings).toEqual([])

      // No errors anywhere; links and connections only ever drained.
      const errors = Object.entries(daemons).flatMap(([name, d]) =>
        d.lines
          .filter((l) => typeof l.level === 'number' && l.level >= 50)
          .map((l) => `${name}: ${JSON.stringify(l)}`),
      )
      expect(errors).toEqual([])
      expect(linkDowns.filter((code) => code !== 'drained')).toEqual([])
      expect([...warns.keys()]).toEqual([])

      // Flat: memory within 20 %, the stores bounded.
      for (const name of ['controller', 'r1', 'r2'])
        expect(end.rss[name]!, `${name} RSS`).toBeLessThanOrEqual(warm.rss[name]! * 1.2)
      expect(end.rows.outbox).toBeLessThanOrEqual(Math.max(warm.rows.outbox! * 1.5, 400))
      // Certificates live 20 s and their records 30 s more: about five per holder at any time.
      expect(end.rows.certificates).toBeLessThanOrEqual(8 * holders.length + 2)
      expect(end.rows.enrollments).toBeLessThanOrEqual(warm.rows.enrollments!)
      // SQLite reuses freed pages; the WAL wraps at its checkpoint size (about 4 MiB).
      expect(end.files.controller).toBeLessThanOrEqual(8 * 1024 * 1024)
    },
    (SOAK_S + 180) * 1000,
  )
})
