import pino from 'pino'
import type { ControllerSettings } from '../../controller/context.js'
import { startTestController, type TestController } from '../../controller/controller.test-util.js'
import { createIdentity } from '../../controller/ops/identities.js'
import { createRouter } from '../../controller/ops/routers.js'
import { enrollWithToken } from '../../sdk/enroll.js'
import type { IdentityFile } from '../../sdk/identity-file.js'
import { startRouter } from '../router.js'
import type { RouterBed } from '../router.test-util.js'
import { until } from '../traffic.test-util.js'

/** A controller and two linked routers in this process; `low` has the smaller id (it dials). */
export interface LinkBed {
  c: TestController
  low: RouterBed & { identity: IdentityFile }
  high: RouterBed & { identity: IdentityFile }
  stop(): Promise<void>
}

/** Starts the bed; resolves once the two routers are linked both ways. */
export async function startLinkBed(
  opts: { settings?: Partial<ControllerSettings>; knock?: boolean } = {},
): Promise<LinkBed> {
  const c = await startTestController({ network: 'links', settings: opts.settings })
  const endpoint = async (name: string, attributes: string[]) =>
    enrollWithToken((await createIdentity(c.ctx, { name, attributes })).enrollment.token)
  const beds: (RouterBed & { identity: IdentityFile })[] = []
  for (const name of ['ra', 'rb']) {
    const { router: record, enrollment } = await createRouter(c.ctx, { name })
    const identity = await enrollWithToken(enrollment.token)
    const router = await startRouter({
      identity,
      listen: '127.0.0.1:0',
      knock: opts.knock,
      log: pino({ level: 'silent' }),
    })
    await router.controlReady
    beds.push({ c, router, routerId: record.id, endpoint, identity, stop: () => router.close() })
  }
  beds.sort((a, b) => (a.routerId < b.routerId ? -1 : 1))
  const [low, high] = beds as [LinkBed['low'], LinkBed['high']]
  await until(
    () =>
      low.router.links.get(high.routerId) !== undefined &&
      high.router.links.get(low.routerId) !== undefined,
    15_000,
    'link up',
  )
  return {
    c,
    low,
    high,
    stop: async () => {
      await low.router.close()
      await high.router.close()
      await c.stop()
    },
  }
}
