import net, { type AddressInfo } from 'node:net'
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
    await createService(bed.c.ctx, { name: 'hooks', attributes: ['webhooks'] })
    await createServicePolicy(bed.c.ctx, {
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

  it('reconnects at once when asked, instead of at the end of its backoff', async () => {
    const identity = await bed.endpoint('waker', ['receivers'])
    const [host, port] = bed.router.address.split(':') as [string, string]
    // A TCP forwarder to the router that can go away and come back on the same port.
    const sockets = new Set<net.Socket>()
    let connections = 0
    const forwarder = () =>
      net.createServer((inbound) => {
        connections++
        const outbound = net.connect(Number(port), host)
        for (const s of [inbound, outbound]) {
          sockets.add(s)
          s.on('error', () => undefined)
          s.once('close', () => sockets.delete(s))
        }
        inbound.pipe(outbound).pipe(inbound)
      })
    let proxy = forwarder()
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r))
    const proxyPort = (proxy.address() as AddressInfo).port
    const waker = new RouterLink(
      { id: bed.routerId, name: 'r1', address: `127.0.0.1:${proxyPort}` },
      () => identity,
      pino({ level: 'silent' }),
    )
    try {
      const up = () => new Promise<void>((resolve) => waker.once('up', () => resolve()))
      const first = up()
      waker.start()
      await first
      // The router goes away: the link fails its reconnects, backing off 0.2, 0.4, 0.8, 1.6 s...
      const closed = new Promise<void>((r) => proxy.close(() => r()))
      for (const s of sockets) s.destroy()
      await closed
      await new Promise((r) => setTimeout(r, 3_200))
      expect(waker.up).toBe(false)
      // ...so its next try is 1.6 to 3.2 s away, or more, when the router is back.
      proxy = forwarder()
      await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', r))
      const before = connections
      const again = up()
      const asked = Date.now()
      waker.reconnectNow()
      await again
      expect(Date.now() - asked).toBeLessThan(1_000)
      expect(connections).toBe(before + 1)
      // Asking again while up changes nothing.
      waker.reconnectNow()
      await new Promise((r) => setTimeout(r, 100))
      expect(connections).toBe(before + 1)
    } finally {
      waker.close()
      for (const s of sockets) s.destroy()
      proxy.close()
    }
  })
})
