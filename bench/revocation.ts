import { join } from 'node:path'
import { pgAvailable } from '../src/controller/store/pg.test-util.js'
import { requestJson, type ClientTls } from '../src/sdk/controller-client.js'
import { loadIdentity, type IdentityFile } from '../src/sdk/identity-file.js'
import { connect, type Zerohook } from '../src/sdk/index.js'
import { stopAllDaemons } from '../test/helpers/cli.js'
import { startFixture, startNetwork } from '../test/helpers/network.js'
import { startReplicatedNetwork } from '../test/helpers/replicas.js'
import { median, percentile, report } from './report.js'

/** Circuits revoked per lane. */
const CIRCUITS = 30

/** A network as this bench drives it: where to send admin calls, and how to make identities. */
interface Lane {
  /** The replica the deletions are sent to. */
  adminUrl: string
  admin: IdentityFile
  identity(name: string, attrs: string[]): Promise<{ file: string; identity: IdentityFile }>
  policy(
    name: string,
    type: 'dial' | 'bind',
    identities: string,
    services: string,
  ): Promise<unknown>
  service(name: string): Promise<unknown>
}

async function streaming(zh: Zerohook): Promise<{ closed: Promise<number> }> {
  const socket = await zh.dial('bench-stream')
  socket.write('GET /stream HTTP/1.1\r\nhost: bench-stream\r\n\r\n')
  await new Promise((r) => socket.once('data', r))
  socket.on('error', () => undefined) // the revocation resets it: that is the point
  return {
    closed: new Promise<number>((resolve) =>
      socket.once('close', () => resolve(performance.now())),
    ),
  }
}

/**
 * Deletes senders one at a time, each holding a circuit that streams through the router, and
 * measures from the start of the DELETE call to the circuit's close at the sender.
 */
async function teardowns(lane: Lane): Promise<number[]> {
  await lane.service('bench-stream')
  await lane.policy('bench-dial', 'dial', '#bench-senders', '@bench-stream')
  await lane.policy('bench-bind', 'bind', '#bench-receivers', '@bench-stream')
  const receiver = await lane.identity('bench-receiver', ['bench-receivers'])
  const fixture = startFixture('receiver.ts', [receiver.file, 'bench-stream'])
  await fixture.waitFor((l) => l.event === 'ready')
  const senders: Zerohook[] = []
  for (let i = 0; i < CIRCUITS; i++)
    senders.push(
      await connect((await lane.identity(`bench-sender-${i}`, ['bench-senders'])).identity),
    )
  const tls: ClientTls = {
    mode: 'verified',
    network: lane.admin.network,
    ca: lane.admin.ca,
    cert: lane.admin.certificate,
    key: lane.admin.key,
  }
  const ms: number[] = []
  try {
    for (let i = 0; i < CIRCUITS; i++) {
      const { closed } = await streaming(senders[i]!)
      const start = performance.now()
      await requestJson(lane.adminUrl, tls, {
        method: 'DELETE',
        path: `/v1/identities/bench-sender-${i}`,
      })
      ms.push((await closed) - start)
    }
  } finally {
    await Promise.all(senders.map((s) => s.close()))
  }
  return ms.sort((a, b) => a - b)
}

/**
 * Revocation teardown, side by side: one controller on SQLite with its router, and two replicas
 * on PostgreSQL where the deletion goes to replica A and the circuit streams through a router
 * connected to replica B (the change crosses the database's NOTIFY). Real processes for the
 * controllers, router and receiver; the senders in this process.
 */
export async function benchRevocation(): Promise<void> {
  const lite = await startNetwork(1)
  let one: number[]
  try {
    const admin = await loadIdentity(join(lite.dir, 'ctl', 'admin.json'))
    one = await teardowns({
      adminUrl: admin.controller,
      admin,
      identity: (name, attrs) => lite.identity(name, attrs),
      policy: (...args) => lite.policy(...args),
      service: (name) => lite.admin('service', 'create', name),
    })
  } finally {
    await stopAllDaemons()
    await lite.cleanup()
  }
  report(
    'revocation',
    `teardown p50 ms, delete to circuit closed, SQLite controller (${CIRCUITS} circuits)`,
    median(one),
  )
  report('revocation', 'teardown p99 ms, SQLite controller', percentile(one, 0.99))
  if (!pgAvailable) {
    report('revocation', 'across replicas: skipped, PostgreSQL not reachable', 0)
    return
  }
  const net = await startReplicatedNetwork()
  try {
    await net.router('b', 'router-b')
    const admin = await loadIdentity(join(net.dir, 'ctl-a', 'admin.json'))
    const across = await teardowns({
      adminUrl: net.urls.a,
      admin,
      identity: (name, attrs) => net.identity('a', name, attrs),
      policy: (name, type, identities, services) =>
        net.admin(
          'b',
          'policy',
          'create',
          name,
          '--type',
          type,
          '--identities',
          identities,
          '--services',
          services,
        ),
      service: (name) => net.admin('a', 'service', 'create', name),
    })
    report(
      'revocation',
      'teardown p50 ms, delete on replica A, circuit on a router of replica B',
      median(across),
    )
    report('revocation', 'teardown p99 ms, across replicas', percentile(across, 0.99))
    report('revocation', 'ratio p50 across replicas / SQLite', median(across) / median(one))
  } finally {
    await stopAllDaemons()
    await net.cleanup()
  }
}
