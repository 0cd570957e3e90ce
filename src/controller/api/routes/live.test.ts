import { setTimeout as sleep } from 'node:timers/promises'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf } from '../../../errors.test-util.js'
import { rawLink, startRouterBed, type RouterBed } from '../../../router/router.test-util.js'
import { addService, dial, echo, host, until } from '../../../router/traffic.test-util.js'
import { ControllerClient } from '../../../sdk/controller-client.js'
import { removeIdentity } from '../../ops/identities.js'
import type { LiveRouter } from '../../routing/live.js'

describe('GET /v1/live', { timeout: 30_000 }, () => {
  let bed: RouterBed
  let admin: ControllerClient

  beforeAll(async () => {
    bed = await startRouterBed()
    admin = new ControllerClient(bed.c.admin)
    await addService(bed, 'hooks')
  })
  afterAll(async () => bed?.stop())

  const live = async () =>
    (await admin.call<{ routers: LiveRouter[] }>('GET', '/v1/live')).routers.find(
      (r) => r.id === bed.routerId,
    )!

  it('shows a circuit through a real router, and drops it within 2 s of its dialer being deleted', async () => {
    const hostId = await bed.endpoint('jenkins', ['hooks-host'])
    const dialerId = await bed.endpoint('ci', ['hooks-dial'])
    const hosting = await host(bed, hostId, 'hooks', echo)
    const dialing = await rawLink(bed, dialerId)
    const circuit = await dial(dialing, dialerId, 'hooks')
    circuit.on('error', () => undefined)

    let router = await live()
    for (let i = 0; router.circuits.length === 0 && i < 100; i++) {
      await sleep(20)
      router = await live()
    }
    expect(router).toMatchObject({ name: 'r1', online: true, address: bed.router.address })
    expect(router.circuits).toEqual([
      expect.objectContaining({
        service: expect.any(String) as string,
        serviceName: 'hooks',
        dialer: dialerId.id,
        dialerName: 'ci',
        terminator: hostId.id,
        terminatorName: 'jenkins',
      }),
    ])
    expect(router.terminators).toEqual([
      expect.objectContaining({ serviceName: 'hooks', identityName: 'jenkins', circuits: 1 }),
    ])

    const deleted = Date.now()
    await removeIdentity(bed.c.ctx, dialerId.id)
    do router = await live()
    while (router.circuits.length > 0 && Date.now() - deleted < 3000)
    const vanishedMs = Date.now() - deleted
    console.log(`circuit gone from GET /v1/live ${vanishedMs} ms after the dialer was deleted`)
    expect(router.circuits).toEqual([])
    expect(vanishedMs).toBeLessThan(2000)
    expect(router.terminators[0]?.circuits).toBe(0)
    dialing.close()
    hosting.close()
    await until(() => bed.router.registry.terminators === 0, 5000, 'unbound')
  })

  it('refuses a status report past its limits', async () => {
    const asRouter = new ControllerClient(bed.router.identity.current)
    const circuit = { id: 'c1', service: 's', dialer: 'd', since: 1 }
    const base = { address: bed.router.address, links: {}, services: {}, load: 0 }
    const report = (extra: object) =>
      asRouter.call('POST', '/v1/router/status', { ...base, ...extra })
    const many = { circuits: Array.from({ length: 1001 }, () => circuit), terminators: [] }
    expect(await codeOf(report(many))).toBe('ZH_BAD_REQUEST')
    const long = { circuits: [{ ...circuit, dialer: 'x'.repeat(65) }], terminators: [] }
    expect(await codeOf(report(long))).toBe('ZH_BAD_REQUEST')
    // 1,000 circuits is past the API's 64 KiB body limit, and accepted.
    const full = { circuits: Array.from({ length: 1000 }, () => circuit), terminators: [] }
    await expect(report(full)).resolves.toMatchObject({ ok: true })
  })
})
