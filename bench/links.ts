import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { request } from 'undici'
import { initController } from '../src/controller/init.js'
import { createIdentity } from '../src/controller/ops/identities.js'
import {
  createRouterPolicy,
  createServicePolicy,
  removeRouterPolicy,
} from '../src/controller/ops/policies.js'
import { createRouter } from '../src/controller/ops/routers.js'
import { createService } from '../src/controller/ops/services.js'
import { runController } from '../src/controller/run.js'
import { connect, type Zerohook } from '../src/sdk/context.js'
import { enrollWithToken } from '../src/sdk/enroll.js'
import { CLI, startProcess, type Daemon } from '../test/helpers/cli.js'
import { percentile, report } from './report.js'

/**
 * 1 KiB POST latency through two routers (one link) against one router. The sender may use only
 * r1; `local` is hosted on r1 and `remote` only on r2, so its circuits cross the r1 → r2 link.
 */
export async function benchLinks(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'zh-bench-links-'))
  await initController({ dir, network: 'bench', listen: '127.0.0.1:0' })
  const log = pino({ level: 'silent' })
  const c = await runController({ dir, log })
  const routers: Daemon[] = []
  const zhs: Zerohook[] = []
  try {
    await removeRouterPolicy(c.ctx, 'default')
    for (const name of ['local', 'remote']) {
      await createService(c.ctx, { name, attributes: ['bench'] })
      await createServicePolicy(c.ctx, {
        name: `bind-${name}`,
        type: 'bind',
        identityRoles: [`#${name}`],
        serviceRoles: [`@${name}`],
      })
    }
    await createServicePolicy(c.ctx, {
      name: 'dial',
      type: 'dial',
      identityRoles: ['#senders'],
      serviceRoles: ['#bench'],
    })
    for (const [name, identities, router] of [
      ['p1', '#senders', '@r1'],
      ['p2', '#local', '@r1'],
      ['p3', '#remote', '@r2'],
    ] as const)
      await createRouterPolicy(c.ctx, { name, identityRoles: [identities], routerRoles: [router] })
    for (const name of ['r1', 'r2']) {
      const r = await createRouter(c.ctx, { name })
      await writeFile(join(dir, `${name}.jwt`), r.enrollment.token)
      const child = startProcess([
        CLI,
        'router',
        'run',
        '--dir',
        join(dir, name),
        '--enroll',
        join(dir, `${name}.jwt`),
        '--listen',
        '127.0.0.1:0',
      ])
      routers.push(child)
      await child.waitFor((l) => l.msg === 'control channel up')
    }
    await routers[0]!.waitFor((l) => l.msg === 'router link up', 20_000)
    const enroll = async (name: string, attr: string) =>
      enrollWithToken((await createIdentity(c.ctx, { name, attributes: [attr] })).enrollment.token)
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      req.resume()
      req.on('end', () => res.end('ok'))
    }
    for (const name of ['local', 'remote']) {
      const zh = await connect(await enroll(`host-${name}`, name), { log })
      zhs.push(zh)
      await zh.serve(name, createServer(handler))
    }
    const sender = await connect(await enroll('sender', 'senders'), { log })
    zhs.push(sender)
    const dispatcher = sender.dispatcher()
    const body = Buffer.alloc(1024, 1)
    const post = async (service: string) => {
      const r = await request(`http://${service}/hook`, { method: 'POST', body, dispatcher })
      await r.body.text()
      if (r.statusCode !== 200) throw new Error(`status ${r.statusCode}`)
    }
    // The route to `remote` exists once r2's terminator reached the controller's table.
    for (let i = 0; ; i++) {
      try {
        await post('remote')
        break
      } catch (err) {
        if (i > 200) throw err
        await new Promise((r) => setTimeout(r, 100))
      }
    }
    const measure = async (service: string) => {
      for (let i = 0; i < 100; i++) await post(service)
      const samples: number[] = []
      for (let i = 0; i < 2000; i++) {
        const t = performance.now()
        await post(service)
        samples.push(performance.now() - t)
      }
      return samples.sort((a, b) => a - b)
    }
    const one = await measure('local')
    const two = await measure('remote')
    report('links', '1 KiB POST p50 ms, one router (warm overlay connection)', percentile(one, 0.5))
    report('links', '1 KiB POST p99 ms, one router', percentile(one, 0.99))
    report('links', '1 KiB POST p50 ms, two routers over one link', percentile(two, 0.5))
    report('links', '1 KiB POST p99 ms, two routers over one link', percentile(two, 0.99))
    report(
      'links',
      'p50 ratio two routers / one router',
      percentile(two, 0.5) / percentile(one, 0.5),
    )
  } finally {
    for (const zh of zhs) await zh.close()
    for (const r of routers) await r.stop()
    await c.close()
    await rm(dir, { recursive: true, force: true })
  }
}
