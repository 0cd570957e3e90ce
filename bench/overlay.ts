import { createServer as createHttpServer } from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import tls from 'node:tls'
import { Agent, request, type Dispatcher } from 'undici'
import type { IdentityFile } from '../src/sdk/identity-file.js'
import { awaitRouterProof } from '../src/sdk/router-proof.js'
import { createChannel, type Channel } from '../src/wire/index.js'
import { encodeOverlay } from '../src/wire/overlay.js'
import { bulk } from './bulk.js'
import { dials } from './dials.js'
import { bareRelayAgent, startBareRelay } from './bare-relay.js'
import { benchHandler, startReceiverProcess, type HopMode } from './receiver-process.js'
import { startOverlayBed, type OverlayBed } from './overlay-bed.js'
import { percentile, report } from './report.js'

type Send = () => Promise<void>

/** Alternates the lanes request by request, so whatever else the machine does hits all alike. */
async function alternate<K extends string>(lanes: Record<K, Send>): Promise<Record<K, number[]>> {
  const names = Object.keys(lanes) as K[]
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<K, number[]>
  const warmup = 500
  const n = 3000
  for (let i = 0; i < warmup + n; i++) {
    for (const name of names) {
      const t = performance.now()
      await lanes[name]()
      if (i >= warmup) samples[name].push(performance.now() - t)
    }
  }
  for (const name of names) samples[name].sort((a, b) => a - b)
  return samples
}

function reportLatency(where: string, s: { overlay: number[]; direct: number[] }): void {
  const p = percentile
  report('overlay', `1 KiB POST p50 ms, warm overlay connection, ${where}`, p(s.overlay, 0.5))
  report('overlay', `1 KiB POST p99 ms, warm overlay connection, ${where}`, p(s.overlay, 0.99))
  report('overlay', `1 KiB POST p50 ms, direct HTTPS keep-alive, ${where}`, p(s.direct, 0.5))
  report('overlay', `1 KiB POST p99 ms, direct HTTPS keep-alive, ${where}`, p(s.direct, 0.99))
  report(
    'overlay',
    `p50 ratio overlay / direct, ${where} (aim <= 1.5)`,
    p(s.overlay, 0.5) / p(s.direct, 0.5),
  )
}

/** The bare relay lanes' figures, against direct HTTPS and the overlay in the same pass. */
function reportBareRelays(s: Record<'overlay' | 'direct' | HopMode, number[]>): void {
  const p50 = (lane: number[]) => percentile(lane, 0.5)
  const where = 'receiver in its own process'
  for (const mode of ['native', 'jsStream'] as const) {
    const name = mode === 'native' ? 'TLS on the hop socket' : 'TLS over a JS stream'
    report('overlay', `1 KiB POST p50 ms, bare TLS relay, ${name}, ${where}`, p50(s[mode]))
    report(
      'overlay',
      `1 KiB POST p99 ms, bare TLS relay, ${name}, ${where}`,
      percentile(s[mode], 0.99),
    )
  }
  report(
    'overlay',
    'p50 ratio bare relay, native / direct (the cost of any relay hop here)',
    p50(s.native) / p50(s.direct),
  )
  report('overlay', 'p50 ratio bare relay, JS stream / direct', p50(s.jsStream) / p50(s.direct))
  report(
    'overlay',
    'p50 ratio overlay / bare relay, JS stream (what zerohook adds)',
    p50(s.overlay) / p50(s.jsStream),
  )
  report(
    'overlay',
    'p50 ratio overlay / direct in that pass of four lanes',
    p50(s.overlay) / p50(s.direct),
  )
}

/**
 * p50/p99 of a 1 KiB POST over a warm overlay connection and over direct HTTPS keep-alive, with
 * the receiving app in a process of its own (as in a deployment: each request then wakes
 * another process on both lanes) and, for comparison, in this process. With the receiver in its
 * own process, HTTPS through a bare TLS relay (see bare-relay.ts) runs alongside: the floor of
 * any relay hop.
 */
async function latency(bed: OverlayBed): Promise<void> {
  const body = Buffer.alloc(1024, 1)
  let dispatcher = bed.sender.dispatcher()
  const post = (url: string, agent: Dispatcher) => async () => {
    const r = await request(url, { method: 'POST', body, dispatcher: agent })
    await r.body.text()
  }
  const overlay = () => post('http://bench/hook', dispatcher)()
  const agent = new Agent({ connect: { ca: bed.direct.ca, checkServerIdentity: () => undefined } })

  const child = await startReceiverProcess({
    identity: bed.identities.receiver,
    service: 'bench',
    direct: { serverCert: bed.direct.serverCert, serverKey: bed.direct.serverKey },
  })
  const relays = {
    native: await startBareRelay({ ...bed.direct, targetPort: child.hopPorts.native }),
    jsStream: await startBareRelay({ ...bed.direct, targetPort: child.hopPorts.jsStream }),
  }
  const relayAgents = {
    native: bareRelayAgent(bed.direct, relays.native.port, 'native'),
    jsStream: bareRelayAgent(bed.direct, relays.jsStream.port, 'jsStream'),
  }
  const direct = post(`https://127.0.0.1:${child.httpsPort}/hook`, agent)
  const apart = await alternate({ overlay, direct })
  // A pass of its own, so the relays' lanes do not change how the aim above is measured.
  const floors = await alternate({
    overlay,
    direct,
    native: post('https://bench/hook', relayAgents.native),
    jsStream: post('https://bench/hook', relayAgents.jsStream),
  })
  await dispatcher.close()
  for (const mode of ['native', 'jsStream'] as const) {
    await relayAgents[mode].close()
    await relays[mode].stop()
  }
  await child.stop()
  dispatcher = bed.sender.dispatcher()
  reportLatency('receiver in its own process', apart)
  reportBareRelays(floors)

  const listener = await bed.receiver.serve('bench', createHttpServer(benchHandler))
  const https = createHttpsServer(
    { cert: bed.direct.serverCert, key: bed.direct.serverKey },
    benchHandler,
  )
  await new Promise<void>((r) => https.listen(0, '127.0.0.1', r))
  const inOne = await alternate({
    overlay,
    direct: post(`https://127.0.0.1:${(https.address() as AddressInfo).port}/hook`, agent),
  })
  await dispatcher.close()
  listener.close()
  https.close()
  await agent.close()
  reportLatency('both ends in this process', inOne)
}

/** A raw wire channel to the router (no end-to-end TLS), to count the router's own cost. */
function rawChannel(bed: OverlayBed, identity: IdentityFile): Promise<Channel> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({
      host: '127.0.0.1',
      port: bed.router.port,
      cert: identity.certificate,
      key: identity.key,
      rejectUnauthorized: false,
    })
    socket.once('error', reject)
    socket.once('secureConnect', () => {
      // The router proves who it is first (its serving certificate names nothing).
      awaitRouterProof(socket, identity, bed.router.id).then(
        () => resolve(createChannel(socket, { role: 'initiator' })),
        reject,
      )
    })
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
