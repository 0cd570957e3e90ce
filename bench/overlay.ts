import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import { Agent, request } from 'undici'
import type { IdentityFile } from '../src/sdk/identity-file.js'
import { createChannel, type Channel } from '../src/wire/index.js'
import { encodeOverlay } from '../src/wire/overlay.js'
import { bulk } from './bulk.js'
import { startOverlayBed, type OverlayBed } from './overlay-bed.js'
import { report, timed } from './report.js'

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!
}

async function latency(bed: OverlayBed): Promise<void> {
  const handler = (
    req: import('node:http').IncomingMessage,
    res: import('node:http').ServerResponse,
  ) => {
    req.resume()
    req.on('end', () => res.end('ok'))
  }
  const body = Buffer.alloc(1024, 1)
  const n = 2000
  const measure = async (send: () => Promise<void>) => {
    for (let i = 0; i < 100; i++) await send() // warm up the connection
    const samples: number[] = []
    for (let i = 0; i < n; i++) {
      const t = performance.now()
      await send()
      samples.push(performance.now() - t)
    }
    return samples.sort((a, b) => a - b)
  }
  const listener = await bed.receiver.serve('bench', createHttpServer(handler))
  const dispatcher = bed.sender.dispatcher()
  const overlay = await measure(async () => {
    const r = await request('http://bench/hook', { method: 'POST', body, dispatcher })
    await r.body.text()
  })
  listener.close()
  const https = createHttpsServer(
    { cert: bed.direct.serverCert, key: bed.direct.serverKey },
    handler,
  )
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r))
  const agent = new Agent({ connect: { ca: bed.direct.ca, checkServerIdentity: () => undefined } })
  const url = `https://127.0.0.1:${(https.address() as AddressInfo).port}/hook`
  const direct = await measure(async () => {
    const r = await request(url, { method: 'POST', body, dispatcher: agent })
    await r.body.text()
  })
  https.close()
  await agent.close()
  report('overlay', '1 KiB POST p50 ms, warm overlay connection', percentile(overlay, 0.5))
  report('overlay', '1 KiB POST p99 ms, warm overlay connection', percentile(overlay, 0.99))
  report(
    'overlay',
    '1 KiB POST p50 ms, direct HTTPS keep-alive (baseline)',
    percentile(direct, 0.5),
  )
  report(
    'overlay',
    '1 KiB POST p99 ms, direct HTTPS keep-alive (baseline)',
    percentile(direct, 0.99),
  )
  report(
    'overlay',
    'p50 ratio overlay / direct (aim <= 2)',
    percentile(overlay, 0.5) / percentile(direct, 0.5),
  )
}

async function dials(bed: OverlayBed): Promise<void> {
  const listener = await bed.receiver.listen('bench')
  listener.on('connection', (s) => s.destroy())
  const n = 200
  const r = await timed(n, async () => {
    const s = await bed.sender.dial('bench')
    s.destroy()
  })
  listener.close()
  report(
    'overlay',
    'dials/s (router grant check + relay setup + end-to-end TLS handshake)',
    r.perSecond,
  )
}

/** A raw wire channel to the router (no end-to-end TLS), to count the router's own cost. */
function rawChannel(bed: OverlayBed, identity: IdentityFile): Promise<Channel> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: bed.router.port,
      cert: identity.certificate,
      key: identity.key,
      ca: identity.ca,
      checkServerIdentity: () => undefined,
    })
    socket.once('error', reject)
    socket.once('secureConnect', () => resolve(createChannel(socket, { role: 'initiator' })))
  })
}

async function idleCircuits(bed: OverlayBed): Promise<void> {
  const host = await rawChannel(bed, bed.identities.receiver)
  host.on('circuit', (pending) => pending.accept())
  const bound = new Promise((r) => host.once('message', r))
  host.send(
    encodeOverlay({
      t: 'bind',
      id: 1,
      service: 'bench',
      grant: await bed.grant(bed.identities.receiver, 'bind'),
    }),
  )
  await bound
  const dialer = await rawChannel(bed, bed.identities.sender)
  const meta = encodeOverlay({
    service: 'bench',
    grant: await bed.grant(bed.identities.sender, 'dial'),
  })
  await new Promise((r) => setTimeout(r, 500))
  const before = await bed.router.heapUsed()
  const n = 10_000
  const circuits = []
  for (let i = 0; i < n; i += 100) {
    const batch = await Promise.all(Array.from({ length: 100 }, () => dialer.open(meta)))
    circuits.push(...batch)
  }
  await new Promise((r) => setTimeout(r, 500))
  const after = await bed.router.heapUsed()
  report(
    'overlay',
    `router heap bytes per idle circuit at ${n} circuits (router process, no GC forced)`,
    (after - before) / n,
  )
  for (const { circuit } of circuits) circuit.destroy()
  dialer.close()
  host.close()
}

/** Overlay benchmarks, side by side with direct TLS/HTTPS in the same run. */
export async function benchOverlay(): Promise<void> {
  const bed = await startOverlayBed()
  // ZH_BENCH_OVERLAY=bulk,dials runs only those parts (for profiling).
  const only = (process.env.ZH_BENCH_OVERLAY ?? '').split(',').filter(Boolean)
  const parts = { bulk, latency, dials, idleCircuits }
  try {
    for (const [name, run] of Object.entries(parts)) {
      if (only.length === 0 || only.includes(name)) await run(bed)
    }
  } finally {
    await bed.close()
  }
}
