import { once } from 'node:events'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { IdentityFile } from '../../sdk/identity-file.js'
import type { Channel, Circuit } from '../../wire/index.js'
import { decodeRouterMessage } from '../../wire/overlay.js'
import { certFingerprint, rawLink } from '../router.test-util.js'
import { addService, dial, echo, Flow, host, until, within } from '../traffic.test-util.js'
import type { Link } from './links.js'
import { startLinkBed, type LinkBed } from './links.test-util.js'

/** How a link channel closed: its code, or undefined for a normal close (a drained link). */
function closeCode(channel: Channel): Promise<string | undefined> {
  return new Promise((resolve) => channel.once('close', (err) => resolve(err?.code)))
}

/** The relay on `low` whose host leg runs over `channel`. */
const relaysOver = (bed: LinkBed, channel: Channel) =>
  [...bed.low.router.registry.relays].filter((r) => r.via === channel).length

describe('router links across certificate renewals', { timeout: 60_000 }, () => {
  let bed: LinkBed
  let dialer: IdentityFile
  let hostChannel: Channel
  let dialChannel: Channel
  const toHigh = () => bed.low.router.links.get(bed.high.routerId)!
  const toLow = () => bed.high.router.links.get(bed.low.routerId)!

  beforeAll(async () => {
    bed = await startLinkBed()
    await addService(bed.high, 'svc')
    const hoster = await bed.high.endpoint('hoster', ['svc-host'])
    dialer = await bed.high.endpoint('dialer', ['svc-dial'])
    // Hosted on `high`, dialed through `low`: every circuit crosses the link.
    hostChannel = await host(bed.high, hoster, 'svc', echo)
    const svcId = [...bed.high.router.registry.sessions]
      .flatMap((s) => [...s.bindings.values()])
      .map((t) => t.serviceId)[0]!
    await until(() => bed.low.router.routes()[svcId]?.[0] === bed.high.routerId, 15_000, 'route')
    dialChannel = await rawLink(bed.low, dialer)
  })
  afterAll(async () => {
    hostChannel?.close()
    dialChannel?.close()
    await bed?.stop()
  })

  it('keeps a circuit streaming across the link while both routers renew; each old link drains, then closes', async () => {
    const flow = new Flow(await dial(dialChannel, dialer, 'svc'), 2 * 1024 * 1024)
    await flow.advance(256 * 1024)
    const first = { low: toHigh(), high: toLow() }
    expect(relaysOver(bed, first.low.channel)).toBe(1)
    const firstClosed = {
      low: closeCode(first.low.channel),
      high: closeCode(first.high.channel),
    }

    // The dialing side renews: it dials again with its new certificate.
    await bed.low.router.renew()
    const lowCert = certFingerprint(bed.low.router.identity.current)
    expect(lowCert).not.toBe(certFingerprint(bed.low.identity))
    await until(
      () => toHigh() !== first.low && toLow() !== first.high,
      10_000,
      'both sides on the new link',
    )
    const second = { low: toHigh(), high: toLow() }
    expect(second.high.fingerprint).toBe(lowCert)
    expect([first.low.state, first.high.state]).toEqual(['draining', 'draining'])
    // The old link still carries the circuit; a new circuit takes the new link.
    expect(first.low.channel.closed).toBe(false)
    const another = await dial(dialChannel, dialer, 'svc')
    expect(relaysOver(bed, second.low.channel)).toBe(1)
    expect(relaysOver(bed, first.low.channel)).toBe(1)
    await flow.advance(256 * 1024)

    // The accepting side renews: it asks its dialer for a new link, which shows its new cert.
    await bed.high.router.renew()
    const highCert = certFingerprint(bed.high.router.identity.current)
    expect(highCert).not.toBe(certFingerprint(bed.high.identity))
    await until(
      () => toHigh() !== second.low && toLow() !== second.high,
      10_000,
      'both sides on the third link',
    )
    expect(toHigh().fingerprint).toBe(highCert)
    await flow.advance(256 * 1024)

    // Not reset: every byte came back, in order.
    const result = await flow.finish()
    expect(result.intact).toBe(true)
    expect(result.sent).toBeGreaterThan(768 * 1024)
    // Its circuit done, the first link closes on both sides, normally (no error code).
    expect(await firstClosed.low).toBeUndefined()
    expect(await firstClosed.high).toBeUndefined()
    // The second still carries `another`: it drains until that one ends.
    await new Promise((resolve) => setTimeout(resolve, 1_500))
    expect(second.low.channel.closed).toBe(false)
    const secondClosed = closeCode(second.low.channel)
    another.end()
    another.resume()
    await once(another, 'end')
    expect(await secondClosed).toBeUndefined()
    await until(
      () =>
        bed.low.router.links.linksTo(bed.high.routerId).length === 1 &&
        bed.high.router.links.linksTo(bed.low.routerId).length === 1,
      5_000,
      'one link left',
    )
  })

  it('cuts a link whose peer certificate expired, with ZH_CERT_EXPIRED, and links again', async () => {
    const link: Link = toLow()
    const circuit: Circuit = await dial(dialChannel, dialer, 'svc')
    const reset = new Promise<string | undefined>((resolve) =>
      circuit.once('error', (e: Error & { code?: string }) => resolve(e.code)),
    )
    const lowSide = closeCode(toHigh().channel)
    // As the 1 s sweep will see it once the peer's certificate has expired.
    bed.high.router.links.closeExpired(link.notAfter)
    expect(await within(closeCode(link.channel), 2_000, 'link closed')).toBe('ZH_CERT_EXPIRED')
    expect(await within(lowSide, 2_000, 'peer side closed')).toBe('ZH_CERT_EXPIRED')
    // To the endpoint it is a link that went down: dial again (new dials route around it).
    expect(await within(reset, 2_000, 'circuit reset')).toBe('ZH_ROUTER_LINK_DOWN')
    await until(() => toHigh() !== undefined && toLow() !== undefined, 10_000, 'link again')
  })
})

describe('router links when both routers renew on their own schedule', { timeout: 60_000 }, () => {
  it('keeps a circuit streaming across the link through the renewals (both at about the same moment)', async () => {
    // Both routers enroll within a few ms of each other, so they renew together: the dialer
    // dials again for its own renewal and for its peer's redial request at once.
    // Grants as long as the certificates: these raw endpoints never refresh their bind.
    const bed = await startLinkBed({ settings: { certTtl: 10, grantTtl: 10 } })
    try {
      await addService(bed.high, 'svc')
      const hoster = await bed.high.endpoint('hoster', ['svc-host'])
      const dialer = await bed.high.endpoint('dialer', ['svc-dial'])
      const hostChannel = await host(bed.high, hoster, 'svc', echo)
      const svcId = [...bed.high.router.registry.sessions]
        .flatMap((s) => [...s.bindings.values()])
        .map((t) => t.serviceId)[0]!
      await until(() => bed.low.router.routes()[svcId]?.[0] === bed.high.routerId, 15_000, 'route')
      const dialChannel = await rawLink(bed.low, dialer)
      const before = {
        low: certFingerprint(bed.low.identity),
        high: certFingerprint(bed.high.identity),
      }
      const link = bed.low.router.links.get(bed.high.routerId)!
      const flow = new Flow(await dial(dialChannel, dialer, 'svc'), 1024 * 1024)
      await until(
        () =>
          certFingerprint(bed.low.router.identity.current) !== before.low &&
          certFingerprint(bed.high.router.identity.current) !== before.high,
        10_000,
        'both renewed',
      )
      // The link now in use was made with both renewed certificates.
      await until(
        () =>
          bed.low.router.links.get(bed.high.routerId)?.fingerprint ===
            certFingerprint(bed.high.router.identity.current) &&
          bed.high.router.links.get(bed.low.routerId)?.fingerprint ===
            certFingerprint(bed.low.router.identity.current),
        5_000,
        'a link with both new certificates',
      )
      expect(link.state).toBe('draining')
      await flow.advance(128 * 1024)
      const result = await flow.finish()
      expect(result.intact).toBe(true)
      await until(() => link.channel.closed, 5_000, 'the first link drained')
      hostChannel.close()
      dialChannel.close()
    } finally {
      await bed.stop()
    }
  })
})

describe('a draining link tells the endpoints of its circuits', { timeout: 60_000 }, () => {
  it('names each circuit to its dialer and its host, so idle keep-alive moves off in time', async () => {
    const bed = await startLinkBed()
    try {
      await addService(bed.high, 'svc')
      const hoster = await bed.high.endpoint('hoster', ['svc-host'])
      const dialer = await bed.high.endpoint('dialer', ['svc-dial'])
      const hostChannel = await host(bed.high, hoster, 'svc', echo)
      const svcId = [...bed.high.router.registry.sessions]
        .flatMap((s) => [...s.bindings.values()])
        .map((t) => t.serviceId)[0]!
      await until(() => bed.low.router.routes()[svcId]?.[0] === bed.high.routerId, 15_000, 'route')
      const dialChannel = await rawLink(bed.low, dialer)
      const told = (channel: Channel) =>
        new Promise<number[]>((resolve) => {
          const onMessage = (bytes: Uint8Array) => {
            const m = decodeRouterMessage(bytes)
            if (m.t !== 'draining') return
            channel.off('message', onMessage)
            resolve(m.circuits)
          }
          channel.on('message', onMessage)
        })
      // An idle circuit across the link: what a kept-alive HTTP connection is between requests.
      const idle = await dial(dialChannel, dialer, 'svc')
      const dialerTold = told(dialChannel)
      const hostTold = told(hostChannel)
      await bed.low.router.renew()
      expect(await within(dialerTold, 5_000, 'the dialer told')).toEqual([idle.id])
      expect(await within(hostTold, 5_000, 'the host told')).toHaveLength(1)
      idle.destroy()
      hostChannel.close()
      dialChannel.close()
    } finally {
      await bed.stop()
    }
  })
})
