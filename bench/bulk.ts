import type { AddressInfo } from 'node:net'
import { Duplex } from 'node:stream'
import tls from 'node:tls'
import { startBareRelay } from './bare-relay.js'
import { cpuMeter, processCpuMs, type CpuUse } from './cpu.js'
import { startScavengePacing, stopScavengePacing } from '../src/wire/young-gc.js'
import type { OverlayBed } from './overlay-bed.js'
import { report } from './report.js'

const MiB = 1024 * 1024
/** Bytes per lane in all. */
const TOTAL = 256 * MiB
/** Bytes per round: the lanes take turns, so a change in machine load hits both alike. */
const ROUND = 32 * MiB

/** One connection to measure: the sending end, and a count of what the far end received. */
interface Lane {
  socket: Duplex
  /** Bytes the far end received so far. */
  received(): number
  arrived(bytes: number): Promise<void>
  /** CPU time the lane's relay process (the router, or the bare relay) has used so far, ms. */
  relayCpuMs(): Promise<number>
  ms: number
  cpu: CpuUse
  /** Set up the process for this lane's round (scavenge pacing on or off). */
  before?: () => void
}

/** Counts what a connection delivers; `arrived(n)` resolves once n bytes came in all. */
function sink(socket: Duplex): Pick<Lane, 'arrived' | 'received'> {
  let got = 0
  let waiter: { bytes: number; resolve: () => void } | undefined
  socket.on('data', (d: Buffer) => {
    got += d.length
    if (waiter && got >= waiter.bytes) waiter.resolve()
  })
  return {
    received: () => got,
    arrived: (bytes) =>
      got >= bytes ? Promise.resolve() : new Promise((resolve) => (waiter = { bytes, resolve })),
  }
}

/** Sends one round through a lane and waits for its last byte at the far end. */
async function round(lane: Lane): Promise<void> {
  lane.before?.()
  const base = lane.received()
  const chunk = Buffer.alloc(64 * 1024, 7)
  const meter = await cpuMeter(() => lane.relayCpuMs())
  const start = performance.now()
  for (let sent = 0; sent < ROUND; sent += chunk.length) {
    if (!lane.socket.write(chunk)) await new Promise((r) => lane.socket.once('drain', r))
  }
  await lane.arrived(base + ROUND)
  const ms = performance.now() - start
  const used = await meter()
  // Weighted by the round's duration, so the sums over all rounds are averages over the lane.
  const total = lane.ms + ms
  for (const key of ['bench', 'router', 'machineIdle'] as const) {
    lane.cpu[key] = (lane.cpu[key] * lane.ms + used[key] * ms) / total
  }
  lane.ms = total
}

/** TLS 1.3 server options with the bench's certificate. */
function serverOptions(bed: OverlayBed): tls.TlsOptions {
  return { cert: bed.direct.serverCert, key: bed.direct.serverKey, minVersion: 'TLSv1.3' }
}

/** A TLS 1.3 server on loopback with the bench's certificate; `accepted` is its first connection. */
async function tlsServer(bed: OverlayBed) {
  const server = tls.createServer(serverOptions(bed))
  const accepted = new Promise<tls.TLSSocket>((r) => server.once('secureConnection', r))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { server, accepted, port: (server.address() as AddressInfo).port }
}

/** TLS 1.3 to 127.0.0.1:port, or inside `socket`, trusting the bench's CA. */
async function tlsClient(bed: OverlayBed, to: { port?: number; socket?: Duplex }) {
  const client = tls.connect({
    ...to,
    host: '127.0.0.1',
    ca: bed.direct.ca,
    checkServerIdentity: () => undefined,
  })
  await new Promise((r) => client.once('secureConnect', r))
  return client
}

/** A direct TLS 1.3 connection on loopback, both ends in this process, as the overlay's are. */
async function directLane(bed: OverlayBed): Promise<{ lane: Lane; close(): void }> {
  const { server, accepted, port } = await tlsServer(bed)
  const client = await tlsClient(bed, { port })
  const relayCpuMs = () => bed.router.cpuMs()
  const lane = { socket: client, ...sink(await accepted), relayCpuMs, ms: 0, cpu: emptyCpu() }
  return { lane, close: () => (client.destroy(), server.close()) }
}

/**
 * End-to-end TLS inside hop TLS through the bare relay (see bare-relay.ts), both ends in this
 * process: the overlay's layers with nothing of zerohook in between. Node stacks the inner TLS
 * straight on the hop socket's native handle, which a circuit of a multiplexed channel cannot
 * offer: with `viaJsStream` the inner TLS runs over a JS stream instead, as over a circuit
 * (Node's JSStreamSocket), which shows what that part of the overlay's cost is.
 */
async function bareRelayLane(
  bed: OverlayBed,
  viaJsStream: boolean,
): Promise<{ lane: Lane; close(): Promise<void> }> {
  const hop = await tlsServer(bed)
  const relay = await startBareRelay({ ...bed.direct, targetPort: hop.port })
  const hopClient = await tlsClient(bed, { port: relay.port })
  const hopServerSide = await hop.accepted
  const [clientStream, serverStream] = [hopClient, hopServerSide].map((s) =>
    viaJsStream ? Duplex.from({ readable: s, writable: s }) : s,
  )
  const inner = tls.createServer(serverOptions(bed))
  const innerAccepted = new Promise<tls.TLSSocket>((r) => inner.once('secureConnection', r))
  inner.emit('connection', serverStream)
  const client = await tlsClient(bed, { socket: clientStream })
  const receiver = await innerAccepted
  const relayCpuMs = () => processCpuMs(relay.pid)
  const lane = { socket: client, ...sink(receiver), relayCpuMs, ms: 0, cpu: emptyCpu() }
  return {
    lane,
    close: async () => {
      // Tearing down TLS over a JS stream reports the abort as an error on every layer.
      const all = [client, receiver, clientStream!, serverStream!, hopClient, hopServerSide]
      for (const s of all) s.on('error', () => undefined)
      for (const s of all) s.destroy()
      hop.server.close()
      await relay.stop()
    },
  }
}

/** A lane with its name in the report and what it is. */
interface Named {
  name: string
  what: string
  lane: Lane
}

function emptyCpu(): CpuUse {
  return { bench: 0, router: 0, machineIdle: 0 }
}

/**
 * Bulk throughput of one circuit (end-to-end records keyed by a TLS 1.3 handshake, inside hop TLS,
 * through the router process; with this process pacing its scavenges as zerohook's daemons do,
 * and without, round by round on the same circuit)
 * against a direct TLS connection and against the same two TLS layers through a bare relay
 * process, with the inner TLS on a native handle and over a JS stream: the floors of any relay
 * hop in Node here. Rounds of 32 MiB take turns, 256 MiB per lane in all, after one unmeasured
 * round each (steady state, not JIT warm-up). Both ends of each lane are in this process. Reports
 * MiB/s, CPU per process and CPU time per MiB (which other users of the machine affect less than
 * MiB/s).
 */
export async function bulk(bed: OverlayBed): Promise<void> {
  const listener = await bed.receiver.listen('bench')
  const received = new Promise<Pick<Lane, 'arrived' | 'received'>>((r) =>
    listener.once('connection', (s) => r(sink(s))),
  )
  const socket = await bed.sender.dial('bench')
  const relayCpuMs = () => bed.router.cpuMs()
  const overlayArrived = await received
  // The same circuit twice: with scavenge pacing, as zerohook's tunnels and gateway run, and
  // without, as an app that embeds the SDK and does not call startScavengePacing().
  const overlay: Lane = {
    socket,
    ...overlayArrived,
    relayCpuMs,
    ms: 0,
    cpu: emptyCpu(),
    before: () => startScavengePacing(),
  }
  const unpaced: Lane = {
    socket,
    // Both lanes count the one circuit's bytes: each waits for its own round's last byte.
    ...overlayArrived,
    relayCpuMs,
    ms: 0,
    cpu: emptyCpu(),
    before: () => stopScavengePacing(),
  }
  const bareJs = await bareRelayLane(bed, true)
  const bare = await bareRelayLane(bed, false)
  const direct = await directLane(bed)
  const lanes: Named[] = [
    {
      name: 'overlay',
      what: 'one circuit through one router, end-to-end records inside hop TLS',
      lane: overlay,
    },
    {
      name: 'overlay, no scavenge pacing',
      what: 'the same circuit, an SDK app that does not pace',
      lane: unpaced,
    },
    {
      name: 'bare relay, JS stream',
      what: 'end-to-end TLS over a JS stream, as over a circuit',
      lane: bareJs.lane,
    },
    {
      name: 'bare relay, native',
      what: 'end-to-end TLS on the hop socket itself',
      lane: bare.lane,
    },
    { name: 'direct TLS', what: 'TLS 1.3 on loopback, no relay (baseline)', lane: direct.lane },
  ]
  // One unmeasured round each first: the JIT compiles the hot paths of all the processes.
  for (const { lane } of lanes) await round(lane)
  for (const { lane } of lanes) Object.assign(lane, { ms: 0, cpu: emptyCpu() })
  // The router's collections while it relays: during the other lanes' rounds it is idle, and
  // V8's memory reducer then runs a mark-compact or two, which says nothing about relaying.
  const gcs = { major: 0, minor: 0 }
  for (let sent = ROUND; sent < TOTAL + ROUND; sent += ROUND) {
    for (const { lane } of lanes) {
      const before = lane === overlay ? await routerGcs(bed) : undefined
      await round(lane)
      if (!before) continue
      const after = await routerGcs(bed)
      gcs.major += after.major - before.major
      gcs.minor += after.minor - before.minor
    }
  }
  socket.destroy()
  listener.close()
  await bareJs.close()
  await bare.close()
  direct.close()

  const group = 'overlay'
  const rate = (lane: Lane) => TOTAL / MiB / (lane.ms / 1000)
  for (const { name, what, lane } of lanes)
    report(group, `bulk MiB/s, ${name}: ${what}`, rate(lane))
  const d = rate(direct.lane)
  report(group, 'bulk ratio overlay / direct (aim >= 0.45)', rate(overlay) / d)
  report(group, 'bulk ratio overlay, no scavenge pacing / direct', rate(unpaced) / d)
  report(
    group,
    'bulk ratio bare relay, native / direct (the cost of any relay hop here)',
    rate(bare.lane) / d,
  )
  report(group, 'bulk ratio bare relay, JS stream / direct', rate(bareJs.lane) / d)
  report(
    group,
    'bulk ratio overlay / bare relay, JS stream (what zerohook adds)',
    rate(overlay) / rate(bareJs.lane),
  )
  // CPU time per MiB depends less on how much of the machine other users left us.
  const msPerMiB = (lane: Lane) => ((lane.cpu.bench + lane.cpu.router) * 10) / rate(lane)
  for (const { name, lane } of lanes) {
    report(group, `bulk CPU % of one core, ${name}: bench process (both ends)`, lane.cpu.bench)
    if (lane === direct.lane) continue
    report(group, `bulk CPU % of one core, ${name}: relay process`, lane.cpu.router)
    report(group, `bulk CPU ms per MiB, ${name} (bench + relay processes)`, msPerMiB(lane))
  }
  report(
    group,
    'bulk CPU ms per MiB, overlay: router process alone',
    (overlay.cpu.router * 10) / rate(overlay),
  )
  const directMs = (direct.lane.cpu.bench * 10) / d
  report(group, 'bulk CPU ms per MiB, direct TLS', directMs)
  report(
    group,
    'bulk CPU ratio direct / overlay (ms per MiB; 1/3 = only the crypto added)',
    directMs / msPerMiB(overlay),
  )
  // No idle left means other work on the machine starved the figures above.
  for (const { name, lane } of lanes) {
    report(group, `bulk machine idle % (all cores), ${name} rounds`, lane.cpu.machineIdle)
  }
  // A router whose short-lived buffers (a fresh one per write, and Node's per TLS read) piled
  // up between scavenges fell into one mark-compact after another, a few a second, which tripled
  // its CPU per MiB. Its heap is steady now (a scavenge per 4 MiB relayed, see
  // src/router/young-gc.ts): these say whether a run was one of those.
  report(group, 'bulk router mark-compacts during the overlay rounds', gcs.major)
  report(group, 'bulk router scavenges during the overlay rounds', gcs.minor)
  report(group, 'bulk router scavenges per overlay MiB', gcs.minor / (TOTAL / MiB))
}

/** The router's garbage collections so far, by kind, from its metrics (prom-client's gc observer). */
async function routerGcs(bed: OverlayBed): Promise<Record<'major' | 'minor', number>> {
  const text = await (await fetch(`http://127.0.0.1:${bed.router.metricsPort}/metrics`)).text()
  const count = (kind: string) => {
    const line = new RegExp(
      `^zh_router_nodejs_gc_duration_seconds_count\\{kind="${kind}"\\} (\\d+)`,
      'm',
    )
    return Number(line.exec(text)?.[1] ?? 0)
  }
  return { major: count('major'), minor: count('minor') }
}
