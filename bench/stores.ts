import { join } from 'node:path'
import { createTestDatabase, pgAvailable } from '../src/controller/store/pg.test-util.js'
import type { GrantsResponse } from '../src/controller/ops/grants.js'
import { requestJson, type ClientTls } from '../src/sdk/controller-client.js'
import { enrollWithToken } from '../src/sdk/enroll.js'
import { loadIdentity, type IdentityFile } from '../src/sdk/identity-file.js'
import { cliJson, runCli, startDaemon, stopAllDaemons, tempDir } from '../test/helpers/cli.js'
import { report } from './report.js'

/** Requests in flight from the bench client. */
const IN_FLIGHT = 8
const GRANT_REQUESTS = 400
const ENROLLMENTS = 120
const SERVICES = 10

/** One way of running the controller: its replicas' URLs, the admin identity, a name prefix. */
interface Setup {
  urls: string[]
  admin: IdentityFile
  prefix: string
}

function tls(identity: IdentityFile): ClientTls {
  return {
    mode: 'verified',
    network: identity.network,
    ca: identity.ca,
    cert: identity.certificate,
    key: identity.key,
  }
}

/** Runs `n` calls, `IN_FLIGHT` at a time; call i goes to replica i mod replicas. */
async function rate(n: number, fn: (i: number) => Promise<void>): Promise<number> {
  let next = 0
  const start = performance.now()
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < n) await fn(next++)
    }),
  )
  return (n * 1000) / (performance.now() - start)
}

async function prepare(setup: Setup): Promise<IdentityFile> {
  const call = (i: number, method: string, path: string, body?: unknown) =>
    requestJson(setup.urls[i % setup.urls.length]!, tls(setup.admin), { method, path, body })
  for (let i = 0; i < SERVICES; i++)
    await call(i, 'POST', '/v1/services', {
      name: `${setup.prefix}svc-${i}`,
      attributes: [`${setup.prefix}hooks`],
    })
  await call(0, 'POST', '/v1/service-policies', {
    name: `${setup.prefix}dial-all`,
    type: 'dial',
    identityRoles: [`#${setup.prefix}senders`],
    serviceRoles: [`#${setup.prefix}hooks`],
  })
  const created = await call(0, 'POST', '/v1/identities', {
    name: `${setup.prefix}grantee`,
    attributes: [`${setup.prefix}senders`],
  })
  return enrollWithToken((created.data as { enrollment: { token: string } }).enrollment.token)
}

async function measure(setup: Setup): Promise<{ grants: number; enrollments: number }> {
  const grantee = await prepare(setup)
  const grants =
    (await rate(GRANT_REQUESTS, async (i) => {
      await requestJson<GrantsResponse>(setup.urls[i % setup.urls.length]!, tls(grantee), {
        method: 'GET',
        path: '/v1/current-identity/grants',
      })
    })) * SERVICES
  // Tokens made beforehand, on the replica each enrollment then goes to.
  const tokens: string[] = []
  for (let i = 0; i < ENROLLMENTS; i++) {
    const r = await requestJson<{ enrollment: { token: string } }>(
      setup.urls[i % setup.urls.length]!,
      tls(setup.admin),
      {
        method: 'POST',
        path: '/v1/identities',
        body: { name: `${setup.prefix}e-${i}`, attributes: [] },
      },
    )
    tokens.push(r.data.enrollment.token)
  }
  const enrollments = await rate(ENROLLMENTS, async (i) => {
    await enrollWithToken(tokens[i]!)
  })
  return { grants, enrollments }
}

/**
 * Grants/s and enrollments/s over the real mTLS API (a new TLS connection per request, 8 in
 * flight), side by side in one run: one controller on SQLite, one replica on PostgreSQL, and
 * two replicas on one PostgreSQL database sharing the load. Each controller is its own process.
 */
export async function benchStores(): Promise<void> {
  if (!pgAvailable) {
    report('stores', 'skipped: PostgreSQL not reachable (set ZEROHOOK_TEST_PG)', 0)
    return
  }
  const { dir, cleanup } = await tempDir('zh-bench-stores-')
  const db = await createTestDatabase()
  try {
    const start = async (ctlDir: string, extra: string[] = []) => {
      const d = startDaemon(['controller', 'run', '--dir', ctlDir, ...extra])
      const line = await d.waitFor((l) => l.msg === 'controller listening')
      return String(line.url)
    }
    const sqliteDir = join(dir, 'sqlite')
    await cliJson(['controller', 'init', '--dir', sqliteDir, '--listen', '127.0.0.1:0'])
    const liteSetup = {
      urls: [await start(sqliteDir)],
      admin: await loadIdentity(join(sqliteDir, 'admin.json')),
    }
    // A first round warms this process up (JIT, TLS), so the first lane is not the slowest.
    await measure({ ...liteSetup, prefix: 'warm-' })
    const lite = await measure({ ...liteSetup, prefix: '' })
    const a = join(dir, 'pg-a')
    const b = join(dir, 'pg-b')
    await cliJson(['controller', 'init', '--dir', a, '--store', db.url, '--listen', '127.0.0.1:0'])
    const key = join(a, 'store.key')
    const joined = await runCli([
      'controller',
      'join',
      '--dir',
      b,
      '--store',
      db.url,
      '--store-key-file',
      key,
      '--listen',
      '127.0.0.1:0',
    ])
    if (joined.code !== 0) throw new Error(joined.stderr)
    const urlA = await start(a)
    const admin = await loadIdentity(join(a, 'admin.json'))
    const one = await measure({ urls: [urlA], admin, prefix: 'one-' })
    const urlB = await start(b, ['--store-key-file', key])
    const two = await measure({ urls: [urlA, urlB], admin, prefix: 'two-' })
    const rows = [
      ['SQLite, 1 controller', lite],
      ['PostgreSQL, 1 replica', one],
      ['PostgreSQL, 2 replicas (requests alternate)', two],
    ] as const
    for (const [name, r] of rows) {
      report(
        'stores',
        `grants/s over mTLS, ${IN_FLIGHT} in flight, ${SERVICES} per request: ${name}`,
        r.grants,
      )
      report('stores', `enrollments/s end to end, ${IN_FLIGHT} in flight: ${name}`, r.enrollments)
    }
    report('stores', 'ratio grants/s PostgreSQL 1 replica / SQLite', one.grants / lite.grants)
    report('stores', 'ratio grants/s PostgreSQL 2 replicas / 1 replica', two.grants / one.grants)
    report(
      'stores',
      'ratio enrollments/s PostgreSQL 1 replica / SQLite',
      one.enrollments / lite.enrollments,
    )
    report(
      'stores',
      'ratio enrollments/s PostgreSQL 2 replicas / 1 replica',
      two.enrollments / one.enrollments,
    )
  } finally {
    await stopAllDaemons()
    await db.drop()
    await cleanup()
  }
}
