import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createServicePolicy } from '../controller/ops/policies.js'
import { createService } from '../controller/ops/services.js'
import { grantsOf, startRouterBed, type RouterBed } from '../router/router.test-util.js'
import { RouterLink } from './router-link.js'

describe('RouterLink binds', { timeout: 30_000 }, () => {
  let bed: RouterBed
  let link: RouterLink

  beforeAll(async () => {
    bed = await startRouterBed()
    createService(bed.c.ctx, { name: 'hooks', attributes: ['webhooks'] })
    createServicePolicy(bed.c.ctx, {
      name: 'bind',
      type: 'bind',
      identityRoles: ['#receivers'],
      serviceRoles: ['#webhooks'],
    })
  })
  afterAll(async () => {
    link?.close()
    await bed.stop()
  })

  it('answers every bind of the same binding, also while an earlier one is unanswered', async () => {
    const identity = await bed.endpoint('host', ['receivers'])
    const grant = (await grantsOf(identity)).grants.find((g) => g.action === 'bind')!.token
    link = new RouterLink(
      { id: bed.routerId, name: 'r1', address: bed.router.address },
      () => identity,
      pino({ level: 'silent' }),
    )
    const up = new Promise<void>((resolve) => link.once('up', () => resolve()))
    link.start()
    await up
    // A grant refresh binding again while the bind of a new link is in flight, say.
    const started = Date.now()
    await Promise.all([link.bind(1, 'hooks', grant), link.bind(1, 'hooks', grant)])
    expect(Date.now() - started).toBeLessThan(2_000) // not the 10 s bind timeout
  })
})
