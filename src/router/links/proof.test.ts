import type tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { channelBinding, signChannelProof } from '../../pki/channel-proof.js'
import { createTestNetwork, type TestNetwork } from '../../sdk/e2e/e2e.test-util.js'
import type { IdentityFile } from '../../sdk/identity-file.js'
import { startFakeRouter, type FakeRouter } from '../fake-router.test-util.js'
import { createRouterMetrics } from '../metrics.js'
import { capturingLog } from '../router.test-util.js'
import { until } from '../traffic.test-util.js'
import { LinkManager } from './links.js'

describe('router links: the dialing router refuses a peer that does not prove itself', () => {
  let net: TestNetwork
  let a: IdentityFile
  let b: IdentityFile
  let c: IdentityFile
  const fakes: FakeRouter[] = []

  beforeAll(async () => {
    net = await createTestNetwork()
    a = { ...(await net.identity('a', { kind: 'router' })), kind: 'router' }
    b = { ...(await net.identity('b', { kind: 'router' })), kind: 'router' }
    c = { ...(await net.identity('c', { kind: 'router' })), kind: 'router' }
  })
  afterAll(async () => {
    for (const f of fakes) await f.close()
  })

  /** Router `a` dials `b` at a fake; what it made of it: a link up, or the codes it failed with. */
  async function dialB(onClient: (socket: tls.TLSSocket) => void) {
    const fake = await startFakeRouter(onClient)
    fakes.push(fake)
    const { log, lines } = capturingLog()
    let up = false
    const links = new LinkManager(() => a, 'a', {
      log,
      metrics: createRouterMetrics(),
      isRevoked: () => false,
      onCircuit: () => undefined,
      onChange: (_peer, isUp) => (up ||= isUp),
    })
    const failures = () => lines.filter((l) => l.msg === 'router link dial failed')
    links.setPeers([{ id: 'b', address: fake.address }])
    await until(() => up || failures().length > 0, 15_000, 'the link up or refused')
    links.close()
    return { up, codes: failures().map((l) => l.code) }
  }

  it('refuses a peer that says nothing (ZH_ROUTER_UNPROVEN)', async () => {
    expect(await dialB((socket) => setTimeout(() => socket.destroy(), 20))).toEqual({
      up: false,
      codes: ['ZH_ROUTER_UNPROVEN'],
    })
  })

  it('refuses another router of the network in place of the peer (ZH_ROUTER_PROOF_INVALID)', async () => {
    expect(
      await dialB((socket) => socket.write(signChannelProof(channelBinding(socket), c))),
    ).toEqual({ up: false, codes: ['ZH_ROUTER_PROOF_INVALID'] })
  })

  it('links to the peer that proves itself with its own key', async () => {
    expect(
      await dialB((socket) => socket.write(signChannelProof(channelBinding(socket), b))),
    ).toEqual({ up: true, codes: [] })
  })
})
