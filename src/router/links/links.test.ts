import { createHash, X509Certificate } from 'node:crypto'
import { once } from 'node:events'
import tls from 'node:tls'
import pino from 'pino'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { GrantClaims } from '../../controller/grants/token.js'
import { removeIdentity } from '../../controller/ops/identities.js'
import { createServicePolicy, removeServicePolicy } from '../../controller/ops/policies.js'
import { ZhError } from '../../errors.js'
import { codeOf } from '../../errors.test-util.js'
import type { IdentityFile } from '../../sdk/identity-file.js'
import { createChannel, type Channel } from '../../wire/index.js'
import { encodeOverlay } from '../../wire/overlay.js'
import { createRouterMetrics } from '../metrics.js'
import { Registry } from '../registry.js'
import { rawLink, routerConnect } from '../router.test-util.js'
import { addService, dial, echo, grantFor, host, until } from '../traffic.test-util.js'
import { openHostLeg } from './forward.js'
import type { LinkManager } from './links.js'
import { startLinkBed, type LinkBed } from './links.test-util.js'
import { encodeLink, MAX_HOPS, type ForwardMeta } from './messages.js'

const fingerprintOf = (identity: IdentityFile) =>
  createHash('sha256').update(new X509Certificate(identity.certificate).raw).digest('hex')

/**
 * A raw TLS connection to `port` with a router's certificate, as a link dialer would make, once
 * the server proved it is router `serverId`; 'refused' when it did not.
 */
function routerSocket(
  port: number,
  as: IdentityFile,
  serverId: string,
): Promise<tls.TLSSocket | 'refused'> {
  return routerConnect(port, as, serverId).catch(() => 'refused' as const)
}

describe('router links: forwarding and who may open a link', { timeout: 90_000 }, () => {
  let bed: LinkBed
  let hoster: IdentityFile
  let dialer: IdentityFile
  let hostChannel: Channel

  beforeAll(async () => {
    bed = await startLinkBed()
    await addService(bed.high, 'svc')
    hoster = await bed.high.endpoint('hoster', ['svc-host'])
    dialer = await bed.high.endpoint('dialer', ['svc-dial'])
    // The service is hosted on `high` only; dialers come in through `low`.
    hostChannel = await host(bed.high, hoster, 'svc', echo)
  })
  afterAll(async () => {
    hostChannel?.close()
    await bed?.stop()
  })

  it('forwards a dial over the link to a terminator on the other router', async () => {
    const svcId = [...bed.high.router.registry.sessions]
      .flatMap((s) => [...s.bindings.values()])
      .map((t) => t.serviceId)[0]!
    await until(() => bed.low.router.routes()[svcId]?.[0] === bed.high.routerId, 15_000, 'route')
    const channel = await rawLink(bed.low, dialer)
    const circuit = await dial(channel, dialer, 'svc')
    const chunks: Buffer[] = []
    circuit.on('data', (d: Buffer) => chunks.push(d))
    circuit.end('over the link')
    await once(circuit, 'end')
    expect(Buffer.concat(chunks).toString()).toBe('over the link')
    const forwarded = await bed.low.router.metrics.forwarded.get()
    expect(forwarded.values.find((v) => v.labels.role === 'ingress')?.value).toBeGreaterThan(0)
    channel.close()
  })

  it('measures the link RTT and reports it', async () => {
    await until(() => bed.low.router.links.status()[bed.high.routerId] !== undefined, 10_000)
    expect(bed.low.router.links.status()[bed.high.routerId]).toBeGreaterThan(0)
  })

  it('never lets an endpoint forward: a forwarded OPEN on its session is refused with a code', async () => {
    const channel = await rawLink(bed.high, dialer)
    const meta: ForwardMeta = {
      t: 'forward',
      service: 'svc',
      grant: await grantFor(dialer, 'svc', 'dial'),
      dialer: dialer.id,
      fingerprint: fingerprintOf(dialer),
      ingress: bed.low.routerId,
      hops: 1,
    }
    expect(await codeOf(channel.open(encodeLink(meta)))).toBe('ZH_ROUTER_FORWARD_REFUSED')
    // Its endpoint certificate made it a session, never a link.
    expect(bed.high.router.links.links.size).toBe(1)
    channel.close()
  })

  it('refuses a router certificate on the wrong side of the pair (it must be dialed)', async () => {
    const refused = async () =>
      (await bed.low.router.metrics.connectionsRefused.get()).values.find(
        (v) => v.labels.reason === 'router',
      )?.value ?? 0
    const before = { links: bed.low.router.links.links.size, refused: await refused() }
    expect(await routerSocket(bed.low.router.port, bed.high.identity, bed.low.routerId)).toBe(
      'refused',
    )
    expect(bed.low.router.links.links.size).toBe(before.links)
    expect(await refused()).toBe(before.refused + 1)
  })

  it('checks everything a forwarded dial claims (hop limit, ingress, certificate), and never lets a router act as an endpoint', async () => {
    // Stop the real `low` from dialing, then speak as it: a link, not an endpoint session.
    bed.low.router.links.close()
    const socket = await routerSocket(bed.high.router.port, bed.low.identity, bed.high.routerId)
    expect(socket).not.toBe('refused')
    const link = createChannel(socket as tls.TLSSocket, { role: 'initiator' })
    await until(() => bed.high.router.links.get(bed.low.routerId)?.channel !== undefined)
    const sessions = bed.high.router.registry.sessions.size
    const terminators = bed.high.router.registry.terminators

    // A bind on a link is not understood, and a plain endpoint dial is not a forward.
    link.send(
      encodeOverlay({
        t: 'bind',
        id: 7,
        service: 'svc',
        grant: await grantFor(hoster, 'svc', 'bind'),
      }),
    )
    const dialMeta = encodeOverlay({ service: 'svc', grant: await grantFor(dialer, 'svc', 'dial') })
    expect(await codeOf(link.open(dialMeta))).toBe('ZH_ROUTER_FORWARD_INVALID')
    expect(bed.high.router.registry.sessions.size).toBe(sessions)
    expect(bed.high.router.registry.terminators).toBe(terminators)

    const good: ForwardMeta = {
      t: 'forward',
      service: 'svc',
      grant: await grantFor(dialer, 'svc', 'dial'),
      dialer: dialer.id,
      fingerprint: fingerprintOf(dialer),
      ingress: bed.low.routerId,
      hops: 1,
    }
    const open = (m: Partial<ForwardMeta>) => link.open(encodeLink({ ...good, ...m }))
    expect(await codeOf(open({ hops: MAX_HOPS + 1 }))).toBe('ZH_ROUTER_HOP_LIMIT')
    expect(await codeOf(open({ ingress: bed.high.routerId }))).toBe('ZH_ROUTER_FORWARD_INVALID')
    expect(await codeOf(open({ fingerprint: 'ab'.repeat(32) }))).toBe('ZH_GRANT_MISMATCH')
    expect(await codeOf(open({ dialer: hoster.id }))).toBe('ZH_GRANT_MISMATCH')
    expect(await codeOf(open({ grant: await grantFor(hoster, 'svc', 'bind') }))).toBe(
      'ZH_GRANT_MISMATCH',
    )
    // The same forward, honest, goes through: the refusals above were for what they say.
    const { circuit } = await open({})
    const chunks: Buffer[] = []
    circuit.on('data', (d: Buffer) => chunks.push(d))
    circuit.end('transit')
    await once(circuit, 'end')
    expect(Buffer.concat(chunks).toString()).toBe('transit')

    // Transit circuits obey pushed revocations on their own (the dialer is not connected here):
    // a lost dial permission, then a revoked certificate, each reset the circuit at once.
    const streaming = async () => {
      const { circuit: c } = await open({ grant: await grantFor(dialer, 'svc', 'dial') })
      c.write('x')
      await once(c, 'data')
      // Wrapped: an async function returning the promise itself would wait for it.
      return {
        code: new Promise<string>((resolve) =>
          c.once('error', (e: Error & { code?: string }) => resolve(e.code ?? e.message)),
        ),
      }
    }
    const lost = await streaming()
    await removeServicePolicy(bed.c.ctx, 'svc-dial')
    expect(await lost.code).toBe('ZH_ROUTER_PERMISSION_REVOKED')
    expect(await codeOf(open({}))).toBe('ZH_ROUTER_PERMISSION_REVOKED')
    await createServicePolicy(bed.c.ctx, {
      name: 'svc-dial-again',
      type: 'dial',
      identityRoles: ['#svc-dial'],
      serviceRoles: ['#svc'],
    })
    await new Promise((r) => setTimeout(r, 1100)) // grants are issued in whole seconds
    const revoked = await streaming()
    await removeIdentity(bed.c.ctx, 'dialer')
    expect(await revoked.code).toBe('ZH_ROUTER_CERT_REVOKED')
    expect(bed.high.router.registry.transits.size).toBe(0)
    link.close()
  })
})

describe('openHostLeg', () => {
  const claims = { svc: 'svc-id', sn: 'svc' } as GrantClaims
  const dialer = { identityId: 'i', fingerprint: 'f', ingress: 'r0', grant: 'g' }
  const deps = (routes: Record<string, string[]>, up: string[], fail = () => new Error('x')) => {
    const tried: string[] = []
    return {
      tried,
      registry: new Registry(),
      links: {
        get: (id: string) =>
          up.includes(id)
            ? { channel: { open: () => (tried.push(id), Promise.reject(fail())) } }
            : undefined,
      } as unknown as LinkManager,
      table: { routes },
      metrics: createRouterMetrics(),
      log: pino({ level: 'silent' }),
    }
  }

  it('refuses to forward past the hop limit', async () => {
    const d = deps({ 'svc-id': ['r2'] }, ['r2'])
    expect(await codeOf(openHostLeg(d, claims, dialer, MAX_HOPS))).toBe('ZH_ROUTER_HOP_LIMIT')
    expect(d.tried).toEqual([])
  })

  it('skips a hop whose link is down, and never sends a circuit back where it came from', async () => {
    const down = deps({ 'svc-id': ['r2', 'r3'] }, ['r3'])
    expect(await codeOf(openHostLeg(down, claims, dialer, 0))).toBe('ZH_ROUTER_NO_TERMINATOR')
    expect(down.tried).toEqual(['r3'])
    const back = deps({ 'svc-id': ['r2'] }, ['r2'])
    expect(await codeOf(openHostLeg(back, claims, dialer, 1, 'r2'))).toBe('ZH_ROUTER_NO_TERMINATOR')
    expect(back.tried).toEqual([])
  })

  it('tries the next hop when one fails on its own, but not after a grant refusal', async () => {
    const flaky = deps({ 'svc-id': ['r2', 'r3'] }, ['r2', 'r3'])
    expect(await codeOf(openHostLeg(flaky, claims, dialer, 0))).toBe('ZH_ROUTER_NO_TERMINATOR')
    expect(flaky.tried).toEqual(['r2', 'r3'])
    const refused = deps(
      { 'svc-id': ['r2', 'r3'] },
      ['r2', 'r3'],
      () => new ZhError('ZH_GRANT_MISMATCH'),
    )
    expect(await codeOf(openHostLeg(refused, claims, dialer, 0))).toBe('ZH_GRANT_MISMATCH')
    expect(refused.tried).toEqual(['r2'])
  })
})
