import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import tls from 'node:tls'
import { Agent, request } from 'undici'
import type { IdentityFile } from '../src/sdk/identity-file.js'
import { createChannel, type Channel } from '../src/wire/index.js'
import { encodeOverlay } from '../src/wire/overlay.js'
import { cpuMeter } from './cpu.js'
import { startOverlayBed, type OverlayBed } from './overlay-bed.js'
import { report, timed } from './report.js'

const MiB = 1024 * 1024

/** Sends `bytes` through a connected duplex whose far end discards, resolving at the last byte. */
async function pump(socket: Duplex, bytes: number, done: Promise<void>): Promise<number> {
  const chunk = Buffer.alloc(64 * 1024, 7)
  const start = performance.now()
  for (let sent = 0; sent < bytes; sent += chunk.length) {
    if (!socket.write(chunk)) await new Promise((r) => socket.once('drain', r))
  }
  socket.end()
  await done
  return (bytes / MiB / (performance.now() - start)) * 1000
}

/** A sink that resolves when the connection has delivered `bytes`. */
function sink(socket: Duplex, bytes: number): Promise<void> {
  return new Promise((resolve) => {
    let got = 0
    socket.on('data', (d: Buffer) => {
      got += d.length
      if (got >= bytes) resolve()
    })
  })
}

async function bulk(bed: OverlayBed): Promise<void> {
  const bytes = 256 * MiB
  let overlayDone!: Promise<void>
  const listener = await bed.receiver.listen('bench')
  listener.on('connection', (s) => {
    overlayDone = sink(s, bytes)
  })
  const socket = await bed.sender.dial('bench')
  await new Promise((r) => setTimeout(r, 50))
  const cpu = await cpuMeter(() => bed.router.cpuMs())
  const overlay = await pump(
    socket,
    bytes,
    new Promise((r) => setImmediate(r)).then(() => overlayDone),
  )
  const overlayCpu = await cpu()
  listener.close()

  const server = tls.createServer({
    cert: bed.direct.serverCert,
    key: bed.direct.serverKey,
    minVersion: 'TLSv1.3',
  })
  let directDone!: Promise<void>
  server.on('secureConnection', (s) => {
    directDone = sink(s, bytes)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const client = tls.connect({
    port: (server.address() as AddressInfo).port,
    host: '127.0.0.1',
    ca: bed.direct.ca,
    checkServerIdentity: () => undefined,
  })
  await new Promise((r) => client.once('secureConnect', r))
  const directMeter = await cpuMeter(() => bed.router.cpuMs())
  const direct = await pump(
    client,
    bytes,
    new Promise((r) => setImmediate(r)).then(() => directDone),
  )
  const directCpu = await directMeter()
  server.close()
  report(
    'overlay',
    'bulk MB/s, one circuit through one router, end-to-end TLS inside hop TLS',
    overlay,
  )
  report('overlay', 'bulk MB/s, direct TLS 1.3 on loopback (baseline)', direct)
  report('overlay', 'bulk ratio overlay / direct (aim >= 0.40)', overlay / direct)
  report(
    'overlay',
    'bulk CPU % of one core, overlay: bench process (both endpoints)',
    overlayCpu.bench,
  )
  report('overlay', 'bulk CPU % of one core, overlay: router process', overlayCpu.router)
  report(
    'overlay',
    'bulk CPU % of one core, direct TLS: bench process (both ends)',
    directCpu.bench,
  )
  // CPU time per MiB does not depend on how much of the machine other users left us.
  const msPerMiB = (cpuPercent: number, mibPerSecond: number) => (cpuPercent * 10) / mibPerSecond
  const overlayMs = msPerMiB(overlayCpu.bench + overlayCpu.router, overlay)
  const directMs = msPerMiB(directCpu.bench, direct)
  report('overlay', 'bulk CPU ms per MiB, overlay (bench + router processes)', overlayMs)
  report('overlay', 'bulk CPU ms per MiB, direct TLS', directMs)
  report('overlay', 'bulk CPU efficiency ratio direct / overlay (ms per MiB)', directMs / overlayMs)
  // Other users of the machine show here: no idle left means the figures above were starved.
  report('overlay', 'bulk machine idle % (all cores) during overlay', overlayCpu.machineIdle)
  report('overlay', 'bulk machine idle % (all cores) during direct TLS', directCpu.machineIdle)
}

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
