import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { initController } from '../src/controller/init.js'
import { createIdentity } from '../src/controller/ops/identities.js'
import { enroll } from '../src/controller/ops/enroll.js'
import { grantsFor } from '../src/controller/ops/grants.js'
import { createServicePolicy } from '../src/controller/ops/policies.js'
import { createService } from '../src/controller/ops/services.js'
import { runController } from '../src/controller/run.js'
import { createKeyAndCsr } from '../src/pki/csr.js'
import { fingerprint } from '../src/pki/inspect.js'
import { ControllerClient } from '../src/sdk/controller-client.js'
import { enrollWithToken } from '../src/sdk/enroll.js'
import { report, timed } from './report.js'

/** Enrollments per second and grants per second, in-process and over the real HTTPS API. */
export async function benchController(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'zh-bench-'))
  await initController({ dir, network: 'bench', listen: '127.0.0.1:0' })
  const c = await runController({ dir, log: pino({ level: 'silent' }) })
  try {
    const services = 10
    for (let i = 0; i < services; i++)
      await createService(c.ctx, { name: `svc-${i}`, attributes: ['hooks'] })
    await createServicePolicy(c.ctx, {
      name: 'dial-all',
      type: 'dial',
      identityRoles: ['#senders'],
      serviceRoles: ['#hooks'],
    })

    const n = 200
    const tokens = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        createIdentity(c.ctx, { name: `op-${i}`, attributes: ['senders'] }),
      ),
    )
    const csrs = await Promise.all(
      tokens.map((t) => createKeyAndCsr({ commonName: t.identity.id })),
    )
    const server = await timed(n, async (i) => {
      await enroll(c.ctx, { token: tokens[i]!.enrollment.token, csr: csrs[i]!.csrPem })
    })
    report(
      'controller',
      'enrollments/s, server side (token check + CSR + issue + store)',
      server.perSecond,
    )

    const m = 50
    const api = await Promise.all(
      Array.from({ length: m }, (_, i) =>
        createIdentity(c.ctx, { name: `api-${i}`, attributes: ['senders'] }),
      ),
    )
    const full = await timed(m, async (i) => {
      await enrollWithToken(api[i]!.enrollment.token)
    })
    report(
      'controller',
      'enrollments/s, end to end over HTTPS (client key pair, CA check, 3 TLS requests)',
      full.perSecond,
    )

    const grantee = await createIdentity(c.ctx, { name: 'grantee', attributes: ['senders'] })
    const identity = await enrollWithToken(grantee.enrollment.token)
    const fp = fingerprint(identity.certificate)
    const k = 200
    const inproc = await timed(k, async () => {
      await grantsFor(c.ctx, { id: identity.id, fingerprint: fp })
    })
    report(
      'controller',
      `grants/s, in process (${services} grants per request)`,
      inproc.perSecond * services,
    )
    const client = new ControllerClient(identity)
    const j = 100
    const overApi = await timed(j, async () => {
      await client.call('GET', '/v1/current-identity/grants')
    })
    report(
      'controller',
      `grants/s, over mTLS HTTPS, new connection each (${services} per request)`,
      overApi.perSecond * services,
    )
  } finally {
    await c.close()
    await rm(dir, { recursive: true, force: true })
  }
}
