import tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { codeOf } from '../errors.test-util.js'
import { createRouter } from '../controller/ops/routers.js'
import { createCa } from '../pki/ca.js'
import { channelBinding, readChannelProof, signChannelProof } from '../pki/channel-proof.js'
import { issueKeyAndCertificate } from '../pki/issue.js'
import { principalUri } from '../pki/uri.js'
import { startFakeRouter, type FakeRouter } from '../router/fake-router.test-util.js'
import { capturingLog, startRouterBed, type RouterBed } from '../router/router.test-util.js'
import { until } from '../router/traffic.test-util.js'
import { enrollWithToken } from './enroll.js'
import type { IdentityFile } from './identity-file.js'
import { awaitRouterProof } from './router-proof.js'
import { RouterLink } from './router-link.js'

/** Connects to `port` as `identity` and waits for router `routerId` to prove itself. */
async function proofFrom(
  port: number,
  identity: IdentityFile,
  routerId: string,
  timeoutMs?: number,
): Promise<string> {
  const socket = tls.connect({
    host: '127.0.0.1',
    port,
    cert: identity.certificate,
    key: identity.key,
    minVersion: 'TLSv1.3',
    rejectUnauthorized: false,
  })
  socket.on('error', () => undefined)
  await new Promise((resolve) => socket.once('secureConnect', resolve))
  const code = await codeOf(awaitRouterProof(socket, identity, routerId, timeoutMs))
  socket.destroy()
  return code
}

/** What an SDK router link makes of `address`: 'up', or the code it logged when it gave up. */
async function linkTo(
  address: string,
  identity: IdentityFile,
  routerId: string,
): Promise<{ up: boolean; codes: unknown[] }> {
  const { log, lines } = capturingLog()
  const link = new RouterLink({ id: routerId, name: 'r1', address }, () => identity, log)
  let up = false
  link.once('up', () => (up = true))
  link.start()
  await until(
    () => up || lines.some((l) => l.msg === 'router refused: it did not prove its identity'),
    15_000,
    'the link up or refused',
  )
  link.close()
  const codes = lines
    .filter((l) => l.msg === 'router refused: it did not prove its identity')
    .map((l) => l.code)
  return { up, codes }
}

describe('endpoints refuse a router that does not prove who it is', { timeout: 60_000 }, () => {
  let bed: RouterBed
  let endpoint: IdentityFile
  let attacker: IdentityFile
  const fakes: FakeRouter[] = []
  const fake = async (onClient: (socket: tls.TLSSocket) => void) => {
    const f = await startFakeRouter(onClient)
    fakes.push(f)
    return f
  }

  beforeAll(async () => {
    bed = await startRouterBed()
    endpoint = await bed.endpoint('endpoint', [])
    // An insider: a valid identity of the network, not the router.
    attacker = await bed.endpoint('attacker', [])
  })
  afterAll(async () => {
    for (const f of fakes) await f.close()
    await bed?.stop()
  })

  it('connects to the real router, which proves itself', async () => {
    expect(await proofFrom(bed.router.port, endpoint, bed.routerId)).toBe('no error')
    expect(await linkTo(`127.0.0.1:${bed.router.port}`, endpoint, bed.routerId)).toEqual({
      up: true,
      codes: [],
    })
  })

  it('refuses a server with a router-like opaque certificate that proves nothing (ZH_ROUTER_UNPROVEN)', async () => {
    const silent = await fake(() => undefined)
    expect(await proofFrom(silent.port, endpoint, bed.routerId, 300)).toBe('ZH_ROUTER_UNPROVEN')
    const closing = await fake((socket) => setTimeout(() => socket.destroy(), 20))
    const link = await linkTo(closing.address, endpoint, bed.routerId)
    expect(link).toEqual({ up: false, codes: ['ZH_ROUTER_UNPROVEN'] })
  })

  it('refuses a proof by a router certificate of another CA with the same names (ZH_ROUTER_PROOF_INVALID)', async () => {
    const other = await createCa({ network: endpoint.network })
    const forged = await issueKeyAndCertificate({
      ca: other,
      commonName: bed.routerId,
      uri: principalUri(endpoint.network, 'router', bed.routerId),
    })
    const credentials = { certificate: forged.certPem, key: forged.keyPem }
    const f = await fake((socket) =>
      socket.write(signChannelProof(channelBinding(socket), credentials)),
    )
    expect(await proofFrom(f.port, endpoint, bed.routerId)).toBe('ZH_ROUTER_PROOF_INVALID')
    const link = await linkTo(f.address, endpoint, bed.routerId)
    expect(link).toEqual({ up: false, codes: ['ZH_ROUTER_PROOF_INVALID'] })
  })

  it('refuses another router of the network in place of the one expected', async () => {
    const { enrollment } = await createRouter(bed.c.ctx, { name: 'r2' })
    const r2 = await enrollWithToken(enrollment.token)
    const f = await fake((socket) => socket.write(signChannelProof(channelBinding(socket), r2)))
    expect(await proofFrom(f.port, endpoint, bed.routerId)).toBe('ZH_ROUTER_PROOF_INVALID')
  })

  it("refuses the real router's proof relayed by a man in the middle (it signs another connection)", async () => {
    // The attacker takes the endpoint's connection and opens its own to the real router with
    // its own valid identity: the router proves itself to it, and it forwards that proof.
    const relay = await fake((victim) => {
      const upstream = tls.connect({
        host: '127.0.0.1',
        port: bed.router.port,
        cert: attacker.certificate,
        key: attacker.key,
        minVersion: 'TLSv1.3',
        rejectUnauthorized: false,
      })
      upstream.on('error', () => undefined)
      let got = Buffer.alloc(0)
      const forward = (chunk: Buffer) => {
        got = Buffer.concat([got, chunk])
        const frame = readChannelProof(got)
        if (!frame) return
        upstream.off('data', forward)
        victim.write(got.subarray(0, got.length - frame.rest.length))
      }
      upstream.on('data', forward)
      victim.once('close', () => upstream.destroy())
    })
    expect(await proofFrom(relay.port, endpoint, bed.routerId)).toBe('ZH_ROUTER_PROOF_INVALID')
    const link = await linkTo(relay.address, endpoint, bed.routerId)
    expect(link).toEqual({ up: false, codes: ['ZH_ROUTER_PROOF_INVALID'] })
  })

  it('refuses a router that closes without a proof, the way a router refuses a revoked client', async () => {
    // Quietly: an endpoint whose own certificate the router refuses cannot tell why either.
    const stranger = { ...endpoint, ...(await strangerCredentials(endpoint)) }
    expect(await proofFrom(bed.router.port, stranger, bed.routerId)).toBe('ZH_ROUTER_UNPROVEN')
  })
})

/** A certificate for `identity`'s principal from a CA the router does not trust. */
async function strangerCredentials(
  identity: IdentityFile,
): Promise<{ certificate: string; key: string }> {
  const issued = await issueKeyAndCertificate({
    ca: await createCa({ network: identity.network }),
    commonName: identity.id,
    uri: principalUri(identity.network, 'identity', identity.id),
  })
  return { certificate: issued.certPem, key: issued.keyPem }
}
