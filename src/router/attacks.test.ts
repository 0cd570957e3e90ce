import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { codeOf } from '../errors.test-util.js'
import { issueKeyAndCertificate } from '../pki/issue.js'
import { principalUri } from '../pki/uri.js'
import type { IdentityFile } from '../sdk/identity-file.js'
import { renewIdentity } from '../sdk/renewal.js'
import { encodeFrame, FrameDecoder, FrameType, type Channel } from '../wire/index.js'
import { encodeOverlay } from '../wire/overlay.js'
import {
  certFingerprint,
  rawLink,
  startRouterBed,
  tlsLink,
  type RouterBed,
} from './router.test-util.js'
import { addService, echo, grantFor, host, Probe, roundTrip } from './traffic.test-util.js'

/**
 * Attacks an outside attack run could not finish against a network built from the README:
 * grants used for what they were not issued for, sent straight to the router as raw frames.
 */

/** The claims of a grant, read without checking (the router is the one that checks). */
function claimsOf(grant: string): { act: string; cfp: string; sub: string } {
  return JSON.parse(Buffer.from(grant.split('.')[1]!, 'base64url').toString()) as {
    act: string
    cfp: string
    sub: string
  }
}

/** A raw BIND: one channel MESSAGE frame, written on the TLS socket with no SDK in between. */
const bindFrame = (id: number, service: string, grant: string): Buffer =>
  encodeFrame({
    type: FrameType.MESSAGE,
    circuit: 0,
    payload: encodeOverlay({ t: 'bind', id, service, grant }),
  })

/** Every frame type the router sent on a probe's socket (an OPEN would be a termination). */
function framesSeen(probe: Probe): FrameType[] {
  const seen: FrameType[] = []
  const decoder = new FrameDecoder()
  probe.socket.on('data', (chunk: Buffer) => {
    for (const f of decoder.push(chunk)) seen.push(f.type)
  })
  return seen
}

/** Dials `service` with `grant` on `channel`: the code it was refused with, or 'no error'. */
async function dialWith(channel: Channel, service: string, grant: string): Promise<string> {
  return codeOf(
    channel.open(encodeOverlay({ service, grant })).then(({ circuit }) => circuit.destroy()),
  )
}

describe('router attacks: a BIND frame with only a dial grant', { timeout: 60_000 }, () => {
  let bed: RouterBed
  let attacker: IdentityFile
  let dialer: IdentityFile
  let hostOfOther: IdentityFile

  beforeAll(async () => {
    bed = await startRouterBed()
    // `svc` has no host; `other` has a legitimate one, so the registry is not trivially empty.
    await addService(bed, 'svc')
    await addService(bed, 'other')
    attacker = await bed.endpoint('attacker', ['svc-dial', 'other-dial'])
    dialer = await bed.endpoint('dialer', ['svc-dial'])
    hostOfOther = await bed.endpoint('other-host', ['other-host'])
    await host(bed, hostOfOther, 'other', echo)
  })
  afterAll(() => bed.stop())

  /** The terminators the router's registry holds for a service. */
  const terminatorsOf = (service: string) =>
    [...bed.router.registry.allTerminators()].filter((t) => t.serviceName === service)

  it('refuses it with ZH_GRANT_MISMATCH: no terminator made, nothing reaches the "host"', async () => {
    const dialGrant = await grantFor(attacker, 'svc', 'dial')
    expect(claimsOf(dialGrant)).toMatchObject({ act: 'dial', sub: attacker.id })
    const registry = bed.router.registry
    const binds = vi.spyOn(registry, 'bind')
    const servicesBefore = { ...registry.serviceCounts() }
    try {
      const probe = new Probe(await tlsLink(bed, attacker))
      const frames = framesSeen(probe)
      probe.write(bindFrame(7, 'svc', dialGrant))
      expect(await probe.waitFor(() => probe.messages.length > 0, 5000)).toBe(true)
      expect(probe.messages).toEqual([{ t: 'bind-failed', id: 7, code: 'ZH_GRANT_MISMATCH' }])

      // No terminator was made, not even for a moment: the registry never saw a bind...
      expect(binds).not.toHaveBeenCalled()
      expect(terminatorsOf('svc')).toEqual([])
      const session = [...registry.sessions].find((s) => s.identityId === attacker.id)
      expect(session?.bindings.size).toBe(0)
      // ...the live view the router reports (and the controller routes by) has none either...
      const status = bed.router.status() as {
        services: Record<string, number>
        terminators: { identity: string }[]
      }
      expect(status.services).toEqual(servicesBefore)
      expect(status.terminators.map((t) => t.identity)).toEqual([hostOfOther.id])

      // ...and a dialer allowed to dial the service cannot reach the would-be host.
      const channel = await rawLink(bed, dialer)
      expect(await dialWith(channel, 'svc', await grantFor(dialer, 'svc', 'dial'))).toBe(
        'ZH_ROUTER_NO_TERMINATOR',
      )
      channel.close()
      // The attacker's connection was never handed a termination (an OPEN from the router).
      expect(await probe.settle()).toBe('pong')
      expect(frames).not.toContain(FrameType.OPEN)
      expect(frames.filter((t) => t !== FrameType.PONG && t !== FrameType.MESSAGE)).toEqual([])
      probe.socket.destroy()
    } finally {
      binds.mockRestore()
    }
  })

  it('refuses every other grant that is not a bind grant of this identity for this service', async () => {
    const registry = bed.router.registry
    const binds = vi.spyOn(registry, 'bind')
    try {
      const probe = new Probe(await tlsLink(bed, attacker))
      const cases: [what: string, service: string, grant: string][] = [
        // A dial grant for another service, named as that service.
        ['a dial grant for a hosted service', 'other', await grantFor(attacker, 'other', 'dial')],
        // The legitimate host's own bind grant, stolen and replayed.
        ["another identity's bind grant", 'other', await grantFor(hostOfOther, 'other', 'bind')],
        // A bind grant for one service, used to bind another.
        ["a bind grant for 'other' on 'svc'", 'svc', await grantFor(hostOfOther, 'other', 'bind')],
      ]
      for (const [i, [what, service, grant]] of cases.entries()) {
        probe.write(bindFrame(100 + i, service, grant))
        expect(await probe.waitFor(() => probe.messages.length > i, 5000), what).toBe(true)
        expect(probe.messages[i], what).toEqual({
          t: 'bind-failed',
          id: 100 + i,
          code: 'ZH_GRANT_MISMATCH',
        })
      }
      expect(binds).not.toHaveBeenCalled()
      expect(terminatorsOf('svc')).toEqual([])
      expect(terminatorsOf('other').map((t) => t.session.identityId)).toEqual([hostOfOther.id])
      // A dial of `other` still reaches its one legitimate host.
      const mine = await bed.endpoint('other-dialer', ['other-dial'])
      const theirs = await rawLink(bed, mine)
      expect(await roundTrip(theirs, mine, 'other', 'to the real host')).toBe('to the real host')
      theirs.close()
      probe.socket.destroy()
    } finally {
      binds.mockRestore()
    }
  })
})

describe(
  'router attacks: a grant replayed with another certificate of the same identity',
  { timeout: 60_000 },
  () => {
    let bed: RouterBed
    let original: IdentityFile
    let hostId: IdentityFile

    beforeAll(async () => {
      bed = await startRouterBed()
      await addService(bed, 'svc')
      hostId = await bed.endpoint('host', ['svc-host'])
      await host(bed, hostId, 'svc', echo)
      original = await bed.endpoint('twin', ['svc-dial', 'svc-host'])
    })
    afterAll(() => bed.stop())

    /** Second certificates of the same identity, each with its own key; the original stays valid. */
    const seconds: [how: string, make: () => Promise<IdentityFile>][] = [
      ['renewed (the old one is still valid)', () => renewIdentity(original)],
      [
        'issued a second time by the CA',
        async () => {
          const c = await issueKeyAndCertificate({
            ca: bed.c.ctx.ca,
            commonName: original.id,
            uri: principalUri('bed', 'identity', original.id),
          })
          return { ...original, certificate: c.certPem, key: c.keyPem }
        },
      ],
    ]

    for (const [how, make] of seconds) {
      it(`refuses a dial grant over a connection whose certificate was ${how}`, async () => {
        const second = await make()
        expect(second.id).toBe(original.id)
        expect(certFingerprint(second)).not.toBe(certFingerprint(original))
        const grant = await grantFor(original, 'svc', 'dial')
        expect(claimsOf(grant)).toMatchObject({ cfp: certFingerprint(original), sub: original.id })

        const relays = bed.router.registry.relays.size
        const other = await rawLink(bed, second) // the router lets the certificate in...
        expect(await dialWith(other, 'svc', grant)).toBe('ZH_GRANT_MISMATCH') // ...not the grant
        expect(bed.router.registry.relays.size).toBe(relays)
        expect(other.closed).toBe(false) // a refused dial ends the circuit, not the connection

        // The same grant works on the certificate it was issued to: the binding is the reason.
        const own = await rawLink(bed, original)
        expect(await dialWith(own, 'svc', grant)).toBe('no error')
        own.close()
        other.close()
      })
    }

    it("refuses a renewed certificate's grant over the old certificate, both ways, bind too", async () => {
      const renewed = await renewIdentity(original)
      const oldConn = await rawLink(bed, original)
      const newConn = await rawLink(bed, renewed)
      const newDial = await grantFor(renewed, 'svc', 'dial')
      expect(claimsOf(newDial).cfp).toBe(certFingerprint(renewed))
      expect(await dialWith(oldConn, 'svc', newDial)).toBe('ZH_GRANT_MISMATCH')
      expect(await dialWith(newConn, 'svc', newDial)).toBe('no error')

      // A bind grant crosses certificates no better: no terminator for the twin appears.
      const registry = bed.router.registry
      const binds = vi.spyOn(registry, 'bind')
      try {
        for (const [conn, grant] of [
          [newConn, await grantFor(original, 'svc', 'bind')],
          [oldConn, await grantFor(renewed, 'svc', 'bind')],
        ] as const) {
          const answer = new Promise<unknown>((resolve) =>
            conn.once('message', (m: Uint8Array) => resolve(JSON.parse(Buffer.from(m).toString()))),
          )
          conn.send(encodeOverlay({ t: 'bind', id: 9, service: 'svc', grant }))
          expect(await answer).toEqual({ t: 'bind-failed', id: 9, code: 'ZH_GRANT_MISMATCH' })
        }
        expect(binds).not.toHaveBeenCalled()
        expect([...registry.allTerminators()].map((t) => t.session.identityId).sort()).toEqual([
          hostId.id,
        ])
      } finally {
        binds.mockRestore()
      }
      oldConn.close()
      newConn.close()
    })
  },
)
