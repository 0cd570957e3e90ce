import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { initController } from '../src/controller/init.js'
import { createIdentity } from '../src/controller/ops/identities.js'
import { createServicePolicy } from '../src/controller/ops/policies.js'
import { createRouter } from '../src/controller/ops/routers.js'
import { createService } from '../src/controller/ops/services.js'
import { runController } from '../src/controller/run.js'
import { issueKeyAndCertificate } from '../src/pki/issue.js'
import { principalUri } from '../src/pki/uri.js'
import { connect, type Zerohook } from '../src/sdk/context.js'
import { enrollWithToken } from '../src/sdk/enroll.js'
import { ControllerClient } from '../src/sdk/controller-client.js'
import type { IdentityFile } from '../src/sdk/identity-file.js'
import type { GrantsResponse } from '../src/controller/ops/grants.js'
import { CLI, startProcess } from '../test/helpers/cli.js'
import { processCpuMs } from './cpu.js'

/** A controller, a router, a receiver and a sender in this process, for benchmarks. */
export interface OverlayBed {
  sender: Zerohook
  receiver: Zerohook
  /** The router, a child process (`zerohook router run`), on its own core when there is one. */
  router: {
    port: number
    metricsPort: number
    id: string
    heapUsed(): Promise<number>
    /** Full (mark-compact) garbage collections the router has done so far. */
    majorGcs(): Promise<number>
    /** CPU time (user + system) the router process has used so far, ms. */
    cpuMs(): Promise<number>
    stop(): Promise<unknown>
  }
  /** Identity files, for raw clients. */
  identities: { sender: IdentityFile; receiver: IdentityFile }
  /** Signs a grant like the controller does (for raw wire clients). */
  grant(identity: IdentityFile, action: 'dial' | 'bind'): Promise<string>
  /** TLS material of the same CA, for the direct-TLS baselines. */
  direct: { ca: string; serverCert: string; serverKey: string }
  close(): Promise<void>
}

/**
 * Builds the bed: service `bench` (#bench), sender may dial, receiver may bind. `routerArgs`
 * go to `zerohook router run` (e.g. `--knock`).
 */
export async function startOverlayBed(routerArgs: string[] = []): Promise<OverlayBed> {
  const dir = await mkdtemp(join(tmpdir(), 'zh-bench-overlay-'))
  await initController({ dir, network: 'bench', listen: '127.0.0.1:0' })
  const log = pino({ level: 'silent' })
  const c = await runController({ dir, log })
  await createService(c.ctx, { name: 'bench', attributes: ['bench'] })
  await createServicePolicy(c.ctx, {
    name: 'd',
    type: 'dial',
    identityRoles: ['#senders'],
    serviceRoles: ['#bench'],
  })
  await createServicePolicy(c.ctx, {
    name: 'b',
    type: 'bind',
    identityRoles: ['#receivers'],
    serviceRoles: ['#bench'],
  })
  const r = await createRouter(c.ctx, { name: 'r1' })
  await writeFile(join(dir, 'router.jwt'), r.enrollment.token)
  // ZH_BENCH_ROUTER_NODE_ARGS='--cpu-prof --cpu-prof-dir=/tmp/prof' profiles the router.
  const nodeArgs = (process.env.ZH_BENCH_ROUTER_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const child = startProcess([
    ...nodeArgs,
    CLI,
    'router',
    'run',
    '--dir',
    join(dir, 'router'),
    '--enroll',
    join(dir, 'router.jwt'),
    '--listen',
    '127.0.0.1:0',
    '--metrics',
    '127.0.0.1:0',
    ...routerArgs,
  ])
  const listening = await child.waitFor((l) => l.msg === 'router listening')
  await child.waitFor((l) => l.msg === 'control channel up')
  const metricsPort = listening.metricsPort as number
  const router = {
    port: listening.port as number,
    metricsPort,
    id: r.router.id,
    heapUsed: async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
      return Number(/^zh_router_nodejs_heap_size_used_bytes (\d+)/m.exec(text)?.[1] ?? NaN)
    },
    majorGcs: async () => {
      const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text()
      const count = /^zh_router_nodejs_gc_duration_seconds_count\{kind="major"\} (\d+)/m.exec(text)
      return Number(count?.[1] ?? 0)
    },
    cpuMs: () => processCpuMs(child.pid),
    stop: () => child.stop(),
  }
  const enroll = async (name: string, attr: string) =>
    enrollWithToken((await createIdentity(c.ctx, { name, attributes: [attr] })).enrollment.token)
  const identities = {
    receiver: await enroll('receiver', 'receivers'),
    sender: await enroll('sender', 'senders'),
  }
  const receiver = await connect(identities.receiver, { log })
  const sender = await connect(identities.sender, { log })
  const server = await issueKeyAndCertificate({
    ca: c.ctx.ca,
    commonName: 'direct',
    uri: principalUri('bench', 'identity', 'direct'),
    ipAddresses: ['127.0.0.1'],
  })
  return {
    sender,
    receiver,
    router,
    identities,
    grant: async (identity, action) => {
      const g = await new ControllerClient(identity).call<GrantsResponse>(
        'GET',
        '/v1/current-identity/grants',
      )
      return g.grants.find((x) => x.action === action)!.token
    },
    direct: { ca: c.ctx.ca.certPem, serverCert: server.certPem, serverKey: server.keyPem },
    close: async () => {
      await sender.close()
      await receiver.close()
      await router.stop()
      await c.close()
      await rm(dir, { recursive: true, force: true })
    },
  }
}
