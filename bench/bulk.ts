import type { AddressInfo } from 'node:net'
import type { Duplex } from 'node:stream'
import tls from 'node:tls'
import { startBareRelay } from './bare-relay.js'
import { cpuMeter, processCpuMs, type CpuUse } from './cpu.js'
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
  arrived(bytes: number): Promise<void>
  /** CPU time the lane's relay process (the router, or the bare relay) has used so far, ms. */
  relayCpuMs(): Promise<number>
  ms: number
  cpu: CpuUse
}

/** Counts what a connection delivers; `arrived(n)` resolves once n bytes came in all. */
function sink(socket: Duplex): Pick<Lane, 'arrived'> {
  let got = 0
  let waiter: { bytes: number; resolve: () => void } | undefined
  socket.on('data', (d: Buffer) => {
    got += d.length
    if (waiter && got >= waiter.bytes) waiter.resolve()
  })
  return {
    arrived: (bytes) =>
      got >= bytes ? Promise.resolve() : new Promise((resolve) => (waiter = { bytes, resolve })),
  }
}

/** Sends one round through a lane and waits for its last byte at the far end. */
async function round(lane: Lane, sentBefore: number): Promise<void> {
  const chunk = Buffer.alloc(64 * 1024, 7)
  const meter = await cpuMeter(() => lane.relayCpuMs())
  const start = performance.now()
  for (let sent = 0; sent < ROUND; sent += chunk.length) {
    if (!lane.socket.write(chunk)) await new Promise((r) => lane.socket.once('drain', r))
  }
  await lane.arrived(sentBefore + ROUND)
  const ms = performance.now() - start
  const used = await meter()
  // Weighted by the round's duration, so the sums over all rounds are averages over the lane.
  const total = lane.ms + ms
  for (const key of ['bench', 'router', 'machineIdle'] as const) {
    lane.cpu[key] = (lane.cpu[key] * lane.ms + used[key] * ms) / total
  }
  lane.ms = total
}

/** A TLS 1.3 server on loopback with the bench's certificate; `accepted` is its first connection. */
async function tlsServer(bed: OverlayBed) {
  const server = tls.createServer({
    cert: bed.direct.serverCert,
    key: bed.direct.serverKey,
    minVersion: 'TLSv1.3',
  })
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
 * process: the overlay's layers with nothing of zerohook in between, the floor for its bulk.
 */
async function bareRelayLane(bed: OverlayBed): Promise<{ lane: Lane; close(): Promise<void> }> {
  const hop = await tlsServer(bed)
  const relay = await startBareRelay({ ...bed.direct, targetPort: hop.port })
  const hopClient = await tlsClient(bed, { port: relay.port })
  const inner = tls.createServer({
    cert: bed.direct.serverCert,
    key: bed.direct.serverKey,
    minVersion: 'TLSv1.3',
  })
  const innerAccepted = new Promise<tls.TLSSocket>((r) => inner.once('secureConnection', r))
  inner.emit('connection', await hop.accepted)
  const client = await tlsClient(bed, { socket: hopClient })
  const relayCpuMs = () => processCpuMs(relay.pid)
  const lane = { socket: client, ...sink(await innerAccepted), relayCpuMs, ms: 0, cpu: emptyCpu() }
  return {
    lane,
    close: async () => {
      client.destroy()
      hop.server.close()
      await relay.stop()
    },
  }
}

function emptyCpu(): CpuUse {
  return { bench: 0, router: 0, machineIdle: 0 }
}

/**
 * Bulk throughput of one circuit (end-to-end TLS inside hop TLS, through the router process)
 * against a direct TLS connection and against the same two TLS layers through a bare relay
 * process (the floor of any relay in Node here), in rounds of 32 MiB taking turns, 256 MiB per
 * lane in all, after one unmeasured round each (steady state, not JIT warm-up). Both ends of each
 * are in this process. Reports MiB/s, CPU per process and CPU time per MiB (which other users of
 * the machine affect less than MiB/s).
 */
export async function bulk(bed: OverlayBed): Promise<void> {
  const listener = await bed.receiver.listen('bench')
  const received = new Promise<Pick<Lane, 'arrived'>>((r) =>
    listener.once('connection', (s) => r(sink(s))),
  )
  const socket = await bed.sender.dial('bench')
  const relayCpuMs = () => bed.router.cpuMs()
  const overlay: Lane = { socket, ...(await received), relayCpuMs, ms: 0, cpu: emptyCpu() }
  const bare = await bareRelayLane(bed)
  const direct = await directLane(bed)
  const lanes = [overlay, bare.lane, direct.lane]
  // One unmeasured round each first: the JIT compiles the hot paths of all the processes.
  for (const lane of lanes) await round(lane, 0)
  for (const lane of lanes) Object.assign(lane, { ms: 0, cpu: emptyCpu() })
  const gcsBefore = await bed.router.majorGcs()
  for (let sent = ROUND; sent < TOTAL + ROUND; sent += ROUND) {
    for (const lane of lanes) await round(lane, sent)
  }
  const routerMajorGcs = (await bed.router.majorGcs()) - gcsBefore
  socket.destroy()
  listener.close()
  await bare.close()
  direct.close()

  const rate = (lane: Lane) => TOTAL / MiB / (lane.ms / 1000)
  const o = rate(overlay)
  const b = rate(bare.lane)
  const d = rate(direct.lane)
  const group = 'overlay'
  report(group, 'bulk MiB/s, one circuit through one router, end-to-end TLS inside hop TLS', o)
  report(group, 'bulk MiB/s, direct TLS 1.3 on loopback (baseline)', d)
  report(group, 'bulk ratio overlay / direct (aim >= 0.40)', o / d)
  report(group, 'bulk MiB/s, the same two TLS layers through a bare TLS pipe relay process', b)
  report(group, 'bulk ratio bare relay / direct (what any relay hop in Node costs here)', b / d)
  report(group, 'bulk ratio overlay / bare relay', o / b)
  report(
    group,
    'bulk CPU % of one core, overlay: bench process (both endpoints)',
    overlay.cpu.bench,
  )
  report(group, 'bulk CPU % of one core, overlay: router process', overlay.cpu.router)
  report(
    group,
    'bulk CPU % of one core, bare relay: bench process (both ends)',
    bare.lane.cpu.bench,
  )
  report(group, 'bulk CPU % of one core, bare relay: relay process', bare.lane.cpu.router)
  report(
    group,
    'bulk CPU % of one core, direct TLS: bench process (both ends)',
    direct.lane.cpu.bench,
  )
  // CPU time per MiB depends less on how much of the machine other users left us.
  const msPerMiB = (lane: Lane, mibPerSecond: number) =>
    ((lane.cpu.bench + lane.cpu.router) * 10) / mibPerSecond
  const overlayMs = msPerMiB(overlay, o)
  const directMs = (direct.lane.cpu.bench * 10) / d
  report(group, 'bulk CPU ms per MiB, overlay (bench + router processes)', overlayMs)
  report(group, 'bulk CPU ms per MiB, bare relay (bench + relay processes)', msPerMiB(bare.lane, b))
  report(group, 'bulk CPU ms per MiB, direct TLS', directMs)
  report(
    group,
    'bulk CPU ratio direct / overlay (ms per MiB; 1/3 = only the crypto added)',
    directMs / overlayMs,
  )
  // No idle left means other work on the machine starved the figures above.
  report(group, 'bulk machine idle % (all cores), overlay rounds', overlay.cpu.machineIdle)
  report(group, 'bulk machine idle % (all cores), bare relay rounds', bare.lane.cpu.machineIdle)
  report(group, 'bulk machine idle % (all cores), direct rounds', direct.lane.cpu.machineIdle)
  // V8 sometimes falls into one incremental mark-compact after another in the router (a few a
  // second), which triples its CPU per MiB: this says whether a run was one of those.
  report(group, 'bulk router full GCs during the measured rounds', routerMajorGcs)
}
